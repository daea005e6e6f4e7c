"""The load section's search (bench/load.py) on made-up steps: which user counts it tries,
when it adds Locust processes, and what it calls the limit. No Locust, no server."""

from __future__ import annotations

import psutil
import pytest

from bench import load
from bench.cpu_use import CpuUse
from bench.server import SERVING

PLAN = {**load.FULL, "budget_seconds": 10_000}


def search_over(holds_up_to: int, generator_busy_from: int | None = None, plan: dict = PLAN) -> load.Search:
    """A Search whose steps hold up to `holds_up_to` users; one Locust process is busy from `generator_busy_from`."""
    search = load.Search("http://127.0.0.1:1", plan, watched=None)
    search.most_processes = 4
    search.tried = []

    def run(users: int) -> dict:
        search.tried.append((users, search.processes))
        search.spent += search._plan(users).run_seconds  # the time a real step takes
        busy = generator_busy_from is not None and users >= generator_busy_from and search.processes == 1
        holds = users <= holds_up_to and not busy
        return {"users": users, "locust_processes": search.processes, "basket_update_p95_ms": 20 if holds else 300,
                "rps": users / 2, "failures": 0, "holds": holds, "cpu": {},
                "limits": ["load generator"] if busy else []}

    search._run = run
    return search


def test_the_search_doubles_then_bisects_to_a_quarter_of_what_held():
    search = search_over(holds_up_to=700)
    assert search.run() == (700, 800)
    assert [users for users, _ in search.tried] == [100, 200, 400, 800, 600, 700]


def test_the_search_stops_at_its_largest_count_when_everything_holds():
    search = search_over(holds_up_to=10_000)
    assert search.run() == (1_600, None)
    assert [users for users, _ in search.tried] == [100, 200, 400, 800, 1_600]


def test_a_step_where_one_locust_process_was_the_limit_runs_again_with_more_and_later_steps_keep_them():
    search = search_over(holds_up_to=1_000, generator_busy_from=400)
    assert search.run() == (1_000, 1_200)
    assert search.tried[:4] == [(100, 1), (200, 1), (400, 1), (400, 4)]
    assert all(processes == 4 for _, processes in search.tried[3:])
    step_400 = next(step for step in search.steps if step["users"] == 400)
    assert step_400["holds"] and step_400["locust_processes"] == 4
    assert step_400["one_process"]["holds"] is False


def test_the_search_stops_at_its_time_budget():
    search = search_over(holds_up_to=10_000, plan={**PLAN, "budget_seconds": 120})
    assert search.run() == (800, None)
    assert search.out_of_time  # 100 to 800 users take 95 s; 1,600 would take 39 s more


def test_searches_run_in_turn_one_step_of_each_and_each_keeps_its_own_budget():
    memory, redis = search_over(holds_up_to=400), search_over(holds_up_to=10_000)
    order = []
    for name, search in (("memory", memory), ("redis", redis)):
        def logged(users, run=search._run, name=name):
            order.append((name, users))
            return run(users)
        search._run = logged
    load.run_in_turn([memory, redis])
    assert (memory.good, memory.bad, redis.good, redis.bad) == (400, 500, 1_600, None)
    assert order == [("memory", 100), ("redis", 100), ("memory", 200), ("redis", 200), ("memory", 400), ("redis", 400),
                     ("memory", 800), ("redis", 800), ("memory", 600), ("redis", 1_600), ("memory", 500)]
    own = sum(memory._plan(users).run_seconds for users, _ in memory.tried)
    assert memory.spent == pytest.approx(own, abs=1.0)


@pytest.mark.parametrize(
    ("cpu", "warned", "expected"),
    [
        ({"worker_percent": 97, "locust_max_process_percent": 40, "machine_percent": 70}, False, ["server"]),
        ({"worker_percent": 50, "locust_max_process_percent": 95, "machine_percent": 80}, False, ["load generator"]),
        ({"worker_percent": 50, "locust_max_process_percent": 40, "machine_percent": 70}, True, ["load generator"]),
        ({"worker_percent": 40, "worker_waiting_percent": 45, "locust_max_process_percent": 25, "machine_percent": 100},
         False, ["machine"]),
        ({"worker_percent": 40, "worker_waiting_percent": 3, "locust_max_process_percent": 25, "machine_percent": 100},
         False, []),
        ({"worker_percent": 40, "worker_waiting_percent": None, "machine_percent": 100}, False, ["machine"]),
        ({}, False, []),
    ],
)
def test_what_was_busy_is_named(cpu, warned, expected):
    assert load.limits({"cpu": cpu, "cpu_warning": warned}) == expected


def test_a_step_reports_each_server_worker_their_mean_and_the_busiest_locust_process():
    use = CpuUse(10.0, {load.SERVER: [0.01, 0.9, 0.7], load.LOCUST: [0.05, 0.6, 0.4], "redis-server": [0.3]},
                 wrk=0.0, machine=1.9, waiting={load.SERVER: [0.0, 0.1, 0.3]})
    figures = load.cpu_figures(use)
    assert figures["workers_percent"] == [90.0, 70.0]
    assert figures["worker_percent"] == 80.0  # the mean: busy all the time only when each worker is
    assert figures["worker_waiting_percent"] == 20.0
    assert (figures["locust_percent"], figures["locust_max_process_percent"], figures["locust_processes"]) == (105.0, 60.0, 3)
    assert figures["other_percent"] == {"redis-server": 30.0}
    assert figures["machine_percent"] == pytest.approx(190.0 / psutil.cpu_count(), abs=0.1)
    assert "server workers 90 + 70 % (waited for a core 20 % of the time)" in load.cpu_text(figures)
    assert "redis-server 30 %" in load.cpu_text(figures)


def test_a_search_refuses_more_users_than_a_worker_takes_connections():
    # Users beyond the worker's connections wait unserved, and a step looks easier than it is.
    load.Search("http://127.0.0.1:1", {**PLAN, "max_users": SERVING["worker_connections"]}, watched=None)  # as many: taken
    with pytest.raises(ValueError, match="connections"):
        load.Search("http://127.0.0.1:1", {**PLAN, "max_users": SERVING["worker_connections"] + 1}, watched=None)

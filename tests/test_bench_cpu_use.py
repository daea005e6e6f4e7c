"""bench/cpu_use.py: cores per process between two samples, on made-up samples, and sampling
the test's own process tree. No server, no timing: the figures asserted follow from the readings."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import psutil
import pytest

from bench import cpu_use
from bench.cpu_use import CpuMeter, CpuUse, Sample, between


def reading(at: float, processes: dict, waited: dict | None = None, children: float = 0.0, machine: float = 0.0) -> Sample:
    return Sample(at, processes, waited or {}, children, machine)


def test_cores_are_cpu_seconds_per_second_for_each_process_master_first():
    start = reading(10.0, {("srv", 1): 1.0, ("srv", 2): 5.0, ("srv", 3): 2.0, ("redis-server", 9): 0.5},
                    children=3.0, machine=100.0)
    end = reading(12.0, {("srv", 1): 1.1, ("srv", 2): 6.6, ("srv", 3): 3.0, ("redis-server", 9): 0.9},
                  children=3.4, machine=103.6)
    use = between(start, end)
    assert use.seconds == 2.0
    assert use.groups == {"srv": pytest.approx([0.05, 0.8, 0.5]), "redis-server": pytest.approx([0.2])}
    assert use.wrk == pytest.approx(0.2)
    assert use.machine == pytest.approx(1.8)
    assert use.workers("srv") == pytest.approx([0.8, 0.5])  # the master left out
    assert use.worker_cores("srv") == pytest.approx(1.3)
    assert use.workers("redis-server") == pytest.approx([0.2])  # a process alone is its own worker
    assert use.group("srv") == pytest.approx(1.35)
    assert use.group("absent") == 0
    assert use.rest == pytest.approx(1.8 - 1.35 - 0.2 - 0.2)


def test_a_process_born_meanwhile_counts_from_zero_and_one_that_ended_not_at_all():
    start = reading(0.0, {("srv", 1): 4.0, ("srv", 2): 9.0})
    end = reading(1.0, {("srv", 1): 4.5, ("srv", 3): 0.25})  # worker 2 ended, worker 3 started
    assert between(start, end).groups == {"srv": pytest.approx([0.5, 0.25])}


def test_waiting_is_each_process_share_of_the_interval_spent_waiting_for_a_core():
    start = reading(0.0, {("srv", 1): 0.0, ("srv", 2): 0.0}, waited={("srv", 1): 1.0, ("srv", 2): 2.0})
    end = reading(4.0, {("srv", 1): 0.0, ("srv", 2): 2.0}, waited={("srv", 1): 1.0, ("srv", 2): 3.0})
    use = between(start, end)
    assert use.waiting == {"srv": pytest.approx([0.0, 0.25])}
    assert use.workers_waiting("srv") == pytest.approx([0.25])


def test_waiting_known_for_only_some_of_a_group_is_left_out_rather_than_misaligned():
    start = reading(0.0, {("srv", 1): 0.0, ("srv", 2): 0.0}, waited={("srv", 2): 0.0})
    end = reading(1.0, {("srv", 1): 0.5, ("srv", 2): 0.5}, waited={("srv", 2): 0.5})
    use = between(start, end)
    assert use.waiting == {}
    assert use.workers_waiting("srv") == []


def test_the_rest_of_the_machine_is_never_negative():
    # The machine's counters and the processes' are read at slightly different moments.
    use = CpuUse(1.0, {"srv": [0.9]}, wrk=0.2, machine=1.0)
    assert use.rest == 0.0


def test_describe_names_the_measured_workers_redis_wrk_the_other_servers_and_the_rest():
    use = CpuUse(1.0, {"redis-2": [0.01, 0.8, 0.7], "redis-server": [0.3], "memory": [0.0, 0.05]}, wrk=0.1, machine=2.0)
    text = use.describe("redis-2")
    assert text.startswith("redis-2 worker(s) 0.80 + 0.70, redis-server 0.30, wrk 0.10, other servers 0.05, ")
    assert text.endswith(f"rest of the machine 0.04 (of {psutil.cpu_count()} cores)")


def test_a_meter_cuts_the_time_into_one_interval_per_mark(monkeypatch):
    readings = iter([
        reading(0.0, {("srv", 1): 0.0}),
        reading(2.0, {("srv", 1): 1.0}),
        reading(3.0, {("srv", 1): 1.0}),
        reading(7.0, {("srv", 1): 3.0}),
    ])
    monkeypatch.setattr(cpu_use, "sample", lambda groups: next(readings))
    meter = CpuMeter({"srv": 1})
    for label in ("run", "idle", "run", None):
        meter.mark(label)
    runs = meter.intervals("run")
    assert [use.seconds for use in runs] == [2.0, 4.0]
    assert [use.group("srv") for use in runs] == pytest.approx([0.5, 0.5])
    assert [use.group("srv") for use in meter.intervals("idle")] == [0.0]
    assert meter.intervals("never") == []


@pytest.fixture
def child():
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield process
    process.kill()
    process.wait()


def test_a_sample_reads_each_process_of_a_tree_and_skips_a_tree_that_is_gone(child):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    taken = cpu_use.sample({"me": os.getpid(), "gone": gone.pid})
    assert {pid for group, pid in taken.processes if group == "me"} >= {os.getpid(), child.pid}
    assert next(iter(taken.processes)) == ("me", os.getpid())  # the root first: the master of a server
    assert not any(group == "gone" for group, _ in taken.processes)
    assert taken.machine_busy > 0 and taken.children >= 0
    if sys.platform == "linux":
        assert ("me", os.getpid()) in taken.waited


def test_the_cpu_a_process_burns_shows_in_its_group():
    meter = CpuMeter({"me": os.getpid()})
    meter.mark("busy")
    spent = time.process_time()
    while time.process_time() - spent < 0.3:
        pass
    meter.mark(None)
    (use,) = meter.intervals("busy")
    # CPU seconds, whatever the wall time was; /proc counts in clock ticks (10 ms), so allow a few
    assert use.group("me") * use.seconds >= 0.25
    assert use.machine > 0


"""Section: the Locust default mix (loadtests/) against one local simulator, no injected latency.

One simulator (bench/server.py `simulator_server`: gunicorn, 1 gevent worker, churn off,
SIM_PASSWORD_HASH_PROFILE=fast) serves every run; `POST /_sim/reset` before each run
puts the catalog, stock and baskets back to the seeded state, so runs do not inherit
each other's orders. Locust runs as a child process (`loadtests.run.locust_argv`: the
settings of loadtests/locust.conf, the realistic think time of 1–3 s between a user's
actions) on the same machine as the server, so both share its CPUs.

1. The default mix (one catalog sync user, shoppers : buyers 9 : 1) with `mix_users`
   users: achieved requests/s and p50 / p95 / p99 per scenario, and of basket updates
   (every POST/PATCH/DELETE on /api/v1/basket…, whichever scenario made it).
2. The target: the largest user count at which the p95 of basket updates stays under
   100 ms with no failure (issue 11: at least 1,000). Runs of the same mix at growing
   user counts (doubling up to `max_users`, then bisecting between the last that held
   and the first that did not), within a time budget. Users start at `spawn_rate` a
   second; the figures count only what happens from `settle_seconds` after the last
   one started (`--reset-stats --stats-settle-seconds`): each starting user signs in,
   opens a basket and loads the categories at once, a burst no steady load has.

Each step also measures, over its measured window (bench/cpu_use.py), the CPU share of
the server's worker(s), of each Locust process and of the whole machine. One Locust process
runs on one core: when it is busy all the time (or Locust warns about its CPU), the
load generator, not the server, sets the latency, and the step runs again with
`--processes` (a master and one worker per core); later steps keep that. Each step
names what was busy ("limit"): the server, the load generator, or the machine (the
server's worker, ready to run, waited for a core: Linux's /proc/PID/schedstat). The
scale section runs the same search on other servers (`Search`, `run_in_turn`).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import threading
import time
from collections.abc import Generator
from dataclasses import dataclass
from statistics import fmean

import psutil
import requests

from loadtests.run import locust_argv, run_locust

from .cpu_use import CpuUse, between, sample
from .report import RESULTS, Row, SectionResult, Target, python_command, relative, shell_command
from .server import SERVING, simulator_server

REPORTS = RESULTS / "load"
SCENARIOS = ("catalog_sync", "shopper", "checkout")
P95_LIMIT_MS = 100
TARGET_USERS = 1_000
#: % of one core: a process at or above it was busy all the time.
BUSY_PERCENT = 85.0
#: % of all cores of the machine.
MACHINE_BUSY_PERCENT = 95.0
#: % of the window the server's worker, ready to run, waited for a core (Linux schedstat):
#: above it, the machine's other work (Locust's included) sets the server's latency.
WORKER_WAITING_PERCENT = 20.0
#: What Locust prints when its CPU is above 90 % (one process; a master about its workers).
LOCUST_CPU_WARNINGS = ("CPU usage above", "CPU usage was too high", "exceeded cpu threshold",
                       "CPU usage threshold was exceeded")
#: Seconds a Locust run takes to start (more with --processes: it forks and connects workers).
LOCUST_START_SECONDS = 3.0

FULL = {"products": 10_000, "customers": 1_000, "mix_users": 40, "mix_seconds": 20,
        "first_step": 100, "max_users": 1_600, "spawn_rate": 100, "settle_seconds": 5, "measure_seconds": 15,
        "budget_seconds": 480}
QUICK = {"products": 2_000, "customers": 200, "mix_users": 10, "mix_seconds": 8,
         "first_step": 20, "max_users": 40, "spawn_rate": 20, "settle_seconds": 2, "measure_seconds": 4,
         "budget_seconds": 40}


def reset(url: str, products: int) -> None:
    answer = requests.post(url + "/_sim/reset", json={"products": products}, timeout=120)
    if answer.status_code != 200:
        raise RuntimeError(f"POST /_sim/reset answered {answer.status_code}: {answer.text[:300]}")


#: The names CpuWatch measures the server's and Locust's process trees by.
SERVER, LOCUST = "server", "locust"


class CpuWatch:
    """CPU shares over one window of a Locust run (bench/cpu_use.py): the server's workers,
    each Locust process (the one started and the workers it forks), the other `watched`
    groups, the whole machine; `started` is run_locust's hook, `figures` what was measured
    (empty when the run ended first)."""

    def __init__(self, watched: dict[str, int], start_after: float, length: float):
        """`watched`: group name → root pid, SERVER among them (its master's pid)."""
        self.watched, self.start_after, self.length = watched, start_after, max(1.0, length)
        self.figures: dict = {}
        self.thread: threading.Thread | None = None

    def started(self, locust: subprocess.Popen) -> None:
        self.thread = threading.Thread(target=self._measure, args=({**self.watched, LOCUST: locust.pid},), daemon=True)
        self.thread.start()

    def wait(self) -> dict:
        if self.thread is not None:
            self.thread.join(timeout=5.0)
        return self.figures

    def _measure(self, groups: dict[str, int]) -> None:
        time.sleep(self.start_after)
        first = sample(groups)
        locust = {key for key in first.processes if key[0] == LOCUST}
        if not locust or not any(key[0] == SERVER for key in first.processes):
            return  # the run ended (or the server died) before the window began
        # Sampled each second, the window ends where planned or at the last sample with all of
        # Locust's processes alive: a Locust that started fast ends before the planned end.
        last, deadline = first, first.at + self.length
        while (now := time.monotonic()) < deadline:
            time.sleep(min(1.0, deadline - now))
            latest = sample(groups)
            if not locust <= latest.processes.keys():
                break
            last = latest
        if last is not first:
            self.figures = cpu_figures(between(first, last))


def cpu_figures(use: CpuUse) -> dict:
    """The shares (% of one core) a step reports: the server's workers (each and their mean),
    how long they waited for a core, Locust's processes, the other groups, the machine."""
    workers, waiting, locust = use.workers(SERVER), use.workers_waiting(SERVER), use.groups[LOCUST]
    return {
        "seconds": round(use.seconds, 1),
        "worker_percent": round(100 * fmean(workers), 1),
        "workers_percent": [round(100 * cores, 1) for cores in workers],
        "worker_waiting_percent": round(100 * fmean(waiting), 1) if waiting else None,
        "locust_percent": round(100 * sum(locust), 1),
        "locust_max_process_percent": round(100 * max(locust), 1),
        "locust_processes": len(locust),
        "other_percent": {name: round(100 * use.group(name), 1) for name in use.groups if name not in (SERVER, LOCUST)},
        "machine_percent": round(100 * use.machine / (psutil.cpu_count() or 1), 1),
        "load_average": [round(value, 2) for value in os.getloadavg()],
    }


@dataclass
class Plan:
    """How one run of the mix is made: users, Locust processes, and its timing."""

    users: int
    processes: int
    spawn_rate: float
    settle_seconds: float
    measure_seconds: float

    @classmethod
    def default_mix(cls, users: int, seconds: float) -> Plan:
        """A plain run of the default mix: one Locust process, all users started within 2 s (5 at
        the least a second), measured from the start for `seconds`."""
        return cls(users, 1, max(5.0, users / 2), 0, seconds)

    @property
    def ramp_seconds(self) -> float:
        return self.users / self.spawn_rate

    @property
    def run_seconds(self) -> int:
        return int(self.ramp_seconds + self.settle_seconds + self.measure_seconds + 0.999)


def mix(url: str, name: str, plan: Plan, customers: int, watched: dict[str, int] | None, settle: bool) -> dict:
    """One headless run of the default mix: its summary, with the CPU shares when `watched`
    (CpuWatch's groups) is given (raises when Locust wrote none)."""
    extra = ["--stop-timeout", "0", "--slo-fail-ratio", "1"]
    if settle:
        extra += ["--reset-stats", "--stats-settle-seconds", f"{plan.settle_seconds:g}"]
    if plan.processes > 1:
        extra += ["--processes", str(plan.processes)]
    argv = locust_argv(url, name, plan.users, spawn_rate=plan.spawn_rate, run_time=f"{plan.run_seconds}s",
                       reports=REPORTS, customers=customers, extra=extra)
    measured_from = LOCUST_START_SECONDS + (plan.ramp_seconds + plan.settle_seconds if settle else 0.0)
    watch = CpuWatch(watched, measured_from, plan.run_seconds + LOCUST_START_SECONDS - measured_from - 1.0) if watched else None
    result = run_locust(argv, f"{plan.run_seconds}s", capture=True, started=watch.started if watch else None)
    if result.summary is None:
        raise RuntimeError(f"locust wrote no summary (exit {result.returncode}): {result.output[-2000:]}")
    summary = result.summary
    summary["cpu_warning"] = any(warning in result.output for warning in LOCUST_CPU_WARNINGS)
    summary["cpu"] = watch.wait() if watch else {}
    summary["slowest"] = slowest_requests(result.stats_csv)
    summary["argv"] = argv
    return summary


def slowest_requests(stats_csv, count: int = 5) -> list[dict]:
    """The request names with the highest p95 in Locust's stats CSV (what to look at first)."""
    try:
        with open(stats_csv, newline="") as handle:
            rows = [row for row in csv.DictReader(handle) if row["Name"] != "Aggregated" and row["Type"] != "CHECK"]
    except OSError:
        return []
    named = [{"request": f"{row['Type']} {row['Name']}", "requests": int(row["Request Count"]),
              "p50_ms": float(row["50%"]), "p95_ms": float(row["95%"])} for row in rows if row.get("95%") not in (None, "N/A")]
    return sorted(named, key=lambda row: -row["p95_ms"])[:count]


def basket_p95(summary: dict) -> int | None:
    return summary["groups"].get("basket_update", {}).get("p95_ms")


def holds(summary: dict) -> bool:
    p95 = basket_p95(summary)
    return p95 is not None and p95 < P95_LIMIT_MS and summary["total"]["failures"] == 0


def limits(summary: dict) -> list[str]:
    """What was busy all the time during the measured window."""
    cpu = summary["cpu"]
    found = []
    if cpu.get("worker_percent", 0) >= BUSY_PERCENT:
        found.append("server")
    if summary["cpu_warning"] or cpu.get("locust_max_process_percent", 0) >= BUSY_PERCENT:
        found.append("load generator")
    waiting = cpu.get("worker_waiting_percent")
    if (waiting >= WORKER_WAITING_PERCENT) if waiting is not None else (cpu.get("machine_percent") or 0) >= MACHINE_BUSY_PERCENT:
        found.append("machine")
    return found


def step_figures(plan: Plan, summary: dict) -> dict:
    update = summary["groups"].get("basket_update", {})
    return {"users": plan.users, "locust_processes": plan.processes,
            "basket_update_p95_ms": update.get("p95_ms"), "basket_updates": update.get("requests", 0),
            "rps": summary["total"]["rps"], "p95_ms": summary["total"]["p95_ms"], "failures": summary["total"]["failures"],
            "holds": holds(summary), "locust_cpu_warning": summary["cpu_warning"], "cpu": summary["cpu"],
            "limits": limits(summary), "slowest": summary["slowest"], "command": command_of(summary["argv"])}


def command_of(argv: list[str]) -> str:
    return shell_command([python_command(), "-m", "locust", *[relative(a) if a.startswith("/") else a for a in argv[3:]]])


def cpu_text(cpu: dict) -> str:
    if not cpu:
        return "CPU not measured"
    workers = cpu.get("workers_percent") or [cpu["worker_percent"]]
    server = (f"server worker {workers[0]:.0f} %" if len(workers) == 1
              else f"server workers {' + '.join(f'{share:.0f}' for share in workers)} %")
    others = "".join(f", {name} {share:.0f} %" for name, share in cpu.get("other_percent", {}).items())
    locust = f"Locust {cpu['locust_percent']:.0f} %"
    if cpu["locust_processes"] > 1:
        locust += f" in {cpu['locust_processes']} processes (busiest {cpu['locust_max_process_percent']:.0f} %)"
    machine = f", machine {cpu['machine_percent']:.0f} % of {psutil.cpu_count()} cores" if cpu["machine_percent"] is not None else ""
    waiting = cpu.get("worker_waiting_percent")
    waited = f" (waited for a core {waiting:.0f} % of the time)" if waiting is not None else ""
    return f"CPU: {server}{waited}, {locust}{others}{machine}"


class Search:
    """The stepped search for the largest user count that holds, within a time budget, and
    what it found: the table's rows and notes, and the figures."""

    def __init__(self, url: str, plan: dict, watched: dict[str, int] | None, name: str = "step"):
        """`watched`: CpuWatch's groups (SERVER → the server master's pid, …); `name`: of Locust's reports."""
        if plan["max_users"] > SERVING["worker_connections"]:
            raise ValueError(f"{plan['max_users']:,} users need as many connections: a worker takes "
                             f"{SERVING['worker_connections']:,} (bench/server.py SERVING)")
        self.url, self.plan, self.watched, self.name = url, plan, watched, name
        self.processes = 1
        self.most_processes = max(1, psutil.cpu_count() or 1)
        self.steps: list[dict] = []
        self.spent = 0.0  # seconds its own steps took: searches run in turn keep a budget each
        self.out_of_time = False
        self.good: int | None = None  # the largest user count that held
        self.bad: int | None = None  # the smallest that did not

    def fits(self, users: int) -> bool:
        """Whether a step of `users` still fits in the budget (a rerun with more processes may double it)."""
        if self.spent + self._plan(users).run_seconds + LOCUST_START_SECONDS > self.plan["budget_seconds"]:
            self.out_of_time = True
        return not self.out_of_time

    def _plan(self, users: int) -> Plan:
        return Plan(users, self.processes, float(self.plan["spawn_rate"]), float(self.plan["settle_seconds"]),
                    float(self.plan["measure_seconds"]))

    def _timed_run(self, users: int) -> dict:
        began = time.perf_counter()
        try:
            return self._run(users)
        finally:
            self.spent += time.perf_counter() - began

    def _run(self, users: int) -> dict:
        reset(self.url, self.plan["products"])
        plan = self._plan(users)
        name = f"{self.name}-{users}" + (f"-p{plan.processes}" if plan.processes > 1 else "")
        return step_figures(plan, mix(self.url, name, plan, self.plan["customers"], self.watched, settle=True))

    def step(self, users: int) -> bool:
        figures = self._timed_run(users)
        if "load generator" in figures["limits"] and self.processes < self.most_processes and self.fits(users):
            # One Locust process was the limit: the same step with a process per core.
            self.processes = self.most_processes
            single = figures
            figures = self._timed_run(users)
            figures["one_process"] = {key: single[key] for key in ("basket_update_p95_ms", "rps", "failures", "holds", "cpu")}
        self.steps.append(figures)
        return figures["holds"]

    def run(self) -> tuple[int | None, int | None]:
        """(largest user count that held, smallest that did not): either may be None."""
        run_in_turn([self])
        return self.good, self.bad

    def counts(self) -> Generator[int, bool, None]:
        """The user counts to try, in order; each step's verdict (held or not) is sent back."""
        plan = self.plan
        users = plan["first_step"]
        while self.fits(users):
            if not (yield users):
                self.bad = users
                break
            self.good = users
            if users >= plan["max_users"]:
                break
            users = min(users * 2, plan["max_users"])
        while self.good is None and self.bad is not None and self.bad > 1 and self.fits(self.bad // 2):
            users = self.bad // 2  # even the first step was too many: halve until one holds
            if (yield users):
                self.good = users
            else:
                self.bad = users
        # Bisect to a quarter of the last count that held.
        while (self.good is not None and self.bad is not None and self.bad - self.good > max(1, self.good // 4)
               and self.fits((self.good + self.bad) // 2)):
            middle = (self.good + self.bad) // 2
            if (yield middle):
                self.good = middle
            else:
                self.bad = middle

    # -- what it found ------------------------------------------------------------
    @property
    def best(self) -> dict | None:
        """The step of the largest user count that held."""
        return next((step for step in self.steps if step["users"] == self.good), None)

    @property
    def at_top(self) -> bool:
        """Every step held up to the plan's largest count: the capacity is at least that."""
        return self.good is not None and self.bad is None and self.good >= self.plan["max_users"]

    def found(self) -> str:
        """The largest user count that held, with its req/s and CPU."""
        best = self.best
        if best is None:
            return "none of the steps"
        at_least = "at least " if self.bad is None else ""
        return (f"{at_least}{self.good:,} users ({best['rps']:,.1f} req/s, {best['locust_processes']} Locust process(es); "
                f"{cpu_text(best['cpu'])})")

    def step_rows(self, label: str = "") -> list[Row]:
        """A row per step; `label` starts each row's name."""
        rows = []
        for figures in self.steps:
            verdict = "holds" if figures["holds"] else "does not hold"
            limit = f"; busy: {', '.join(figures['limits'])}" if figures["limits"] else ""
            single = figures.get("one_process")
            before = (f" (with one Locust process: p95 {single['basket_update_p95_ms']} ms, {single['rps']:,.1f} req/s, "
                      f"{'holds' if single['holds'] else 'does not hold'}; load generator busy)") if single else ""
            rows.append(Row(
                f"{label}step {figures['users']} users, {figures['locust_processes']} Locust process(es)",
                f"basket-update p95 {figures['basket_update_p95_ms']} ms, {figures['rps']:,.1f} req/s, "
                f"{figures['failures']} failures: {verdict}{limit}; {cpu_text(figures['cpu'])}{before}"))
        return rows

    def notes(self, label: str = "") -> list[str]:
        """What limited the search: the first step that did not hold, its top, or its budget."""
        notes = []
        first_bad = next((step for step in self.steps if step["users"] == self.bad), None)
        if first_bad is not None:
            bad, cpu = self.bad, first_bad["cpu"]
            slow = ", ".join(f"{row['request']} {row['p95_ms']:.0f} ms" for row in first_bad["slowest"][:3])
            notes.append(f"{label}at {bad:,} users the slowest requests by p95 were {slow}")
            if "load generator" in first_bad["limits"]:
                notes.append(
                    f"{label}at {bad:,} users the load generator, not the server, was the limit: Locust's busiest process at "
                    f"{cpu.get('locust_max_process_percent', 0):.0f} % of a core "
                    f"(server worker(s) {cpu.get('worker_percent', 0):.0f} % each)")
            elif "machine" in first_bad["limits"] and "server" not in first_bad["limits"]:
                notes.append(
                    f"{label}at {bad:,} users the machine was the limit: the server worker(s), not busy all the time "
                    f"({cpu.get('worker_percent', 0):.0f} % of a core each), waited for a core "
                    f"{cpu.get('worker_waiting_percent') or 0:.0f} % of the time (Locust and other work on "
                    f"the machine's {psutil.cpu_count()} cores)")
        if self.at_top:
            cpu = self.best["cpu"]
            notes.append(
                f"{label}every step held up to the search's top, {self.good:,} users: the capacity is at least that; "
                f"beyond it the load generator, on the same {psutil.cpu_count()} cores, is measured as much as the server"
                + (f" (at the top Locust used {cpu['locust_percent']:.0f} % of a core in {cpu['locust_processes']} "
                   f"process(es), the machine {cpu['machine_percent']:.0f} %)" if cpu else ""))
        if self.out_of_time:
            notes.append(f"{label}the search stopped at its time budget of {self.plan['budget_seconds']} s")
        return notes

    def step_commands(self) -> list[str]:
        """How a step is run by hand: the reset, then Locust (as at the largest count that held)."""
        if not self.steps:
            return []
        plan, shown = self.plan, self.best or self.steps[-1]
        return [shell_command(["curl", "-X", "POST", f"{self.url}/_sim/reset", "-H", "Content-Type: application/json",
                               "-d", json.dumps({"products": plan["products"]})]),
                shown["command"],
                f"# each step: the reset, then the command above with -u N -t <N/{plan['spawn_rate']} + "
                f"{plan['settle_seconds']} + {plan['measure_seconds']}>s"
                + (f"; --processes {self.processes} from the first step where one Locust process was the limit"
                   if self.processes > 1 else "")]

    def plan_note(self) -> str:
        plan = self.plan
        return (f"catalog {plan['products']:,} products, {plan['customers']:,} customers, think time 1-3 s, churn off, "
                f"no injected latency; steps measured {plan['measure_seconds']} s from {plan['settle_seconds']} s after "
                f"the last user started ({plan['spawn_rate']} a second); reports in {relative(REPORTS)}")

    def figures(self) -> dict:
        best = self.best
        return {"steps": self.steps, "largest_users_basket_p95_under_100ms": self.good, "smallest_users_failing": self.bad,
                "rps_at_largest": best["rps"] if best else None, "cpu_at_largest": best["cpu"] if best else None,
                "search_capped": self.at_top, "search_out_of_time": self.out_of_time}


def run_in_turn(searches: list[Search]) -> None:
    """Run the searches' steps in turn, one step of each, so that each meets the same load on the machine."""
    pending = {search: search.counts() for search in searches}
    users = {search: next(counts, None) for search, counts in pending.items()}
    while any(count is not None for count in users.values()):
        for search, counts in pending.items():
            if users[search] is not None:
                try:
                    users[search] = counts.send(search.step(users[search]))
                except StopIteration:
                    users[search] = None


def run(quick: bool = False) -> SectionResult:
    plan = QUICK if quick else FULL
    section = SectionResult(
        "load", f"9. Locust default mix: req/s and latency per scenario; users while basket-update p95 < {P95_LIMIT_MS} ms")
    load_before = [round(value, 2) for value in os.getloadavg()]
    with simulator_server(plan["products"], name="load-server", customers=plan["customers"],
                          password_hash_profile="fast") as server:
        server.worker()  # the bench's one worker is up
        watched = {SERVER: server.pid}
        reset(server.url, plan["products"])
        summary = mix(server.url, "mix", Plan.default_mix(plan["mix_users"], plan["mix_seconds"]), plan["customers"], watched,
                      settle=False)
        search = Search(server.url, plan, watched)
        good, _ = search.run()
        section.commands = [
            shell_command([python_command(), "-m", "bench", "load"]),
            f"{server.command} &",
            command_of(summary["argv"]),
            *search.step_commands(),
        ]
    load_after = [round(value, 2) for value in os.getloadavg()]

    scenarios = summary["scenarios"]
    section.figures = {
        "plan": plan,
        "load_average": {"before": load_before, "after": load_after},
        "mix": {"users": plan["mix_users"], "seconds": plan["mix_seconds"], "total": summary["total"],
                "scenarios": scenarios, "groups": summary["groups"], "sync": summary["sync"],
                "locust_cpu_warning": summary["cpu_warning"], "cpu": summary["cpu"], "slowest": summary["slowest"]},
        **search.figures(),
    }
    section.rows.append(Row(f"default mix, {plan['mix_users']} users: all requests",
                            f"{summary['total']['rps']:,.1f} req/s, p50 / p95 / p99 "
                            f"{summary['total']['p50_ms']} / {summary['total']['p95_ms']} / {summary['total']['p99_ms']} ms"))
    for name in SCENARIOS:
        figures = scenarios.get(name)
        if figures:
            section.rows.append(Row(f"  {name}", f"{figures['rps']:,.1f} req/s, p50 / p95 / p99 "
                                                  f"{figures['p50_ms']} / {figures['p95_ms']} / {figures['p99_ms']} ms"))
    update = summary["groups"].get("basket_update")
    if update:
        section.rows.append(Row("  basket updates", f"{update['rps']:,.1f} req/s, p50 / p95 / p99 "
                                                    f"{update['p50_ms']} / {update['p95_ms']} / {update['p99_ms']} ms",
                                Target.informational("basket update p95 (default mix)", update["p95_ms"], "ms")))
    section.rows.extend(search.step_rows())
    section.rows.append(Row(
        f"largest users, basket-update p95 < {P95_LIMIT_MS} ms and no failure", search.found(),
        Target(f"users of the default mix at basket-update p95 < {P95_LIMIT_MS} ms, 0 failures", good, ">=", TARGET_USERS,
               "users", applicable=not quick)))
    section.notes.extend(search.notes())
    if summary["total"]["failures"]:
        section.notes.append(f"the default mix had {summary['total']['failures']} failed request(s); see {relative(REPORTS)}")
    section.notes.append(
        f"load average (1, 5, 15 min) before {load_before}, after {load_after}: Locust and the server share this "
        f"machine's {psutil.cpu_count()} cores with whatever else runs on it")
    section.notes.append(search.plan_note())
    return section

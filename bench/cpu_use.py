"""CPU used by each process while a figure was measured, in cores (CPU seconds per second).

On a small machine the servers, Redis and the load generator share the CPUs: a figure
reads honestly only beside what each of them used meanwhile. A `CpuMeter` samples
the CPU times of process trees (a server's master and workers, redis-server, Locust
and the processes it forks), of the bench's finished children (wrk, run with
subprocess.run) and of the whole machine; `marks` taken before each run cut the time
into one interval per run. Every section that reports CPU counts it here.
"""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil


@dataclass(frozen=True)
class Sample:
    at: float
    processes: dict[tuple[str, int], float]  # (group, pid) → CPU seconds so far, each tree's root first
    waited: dict[tuple[str, int], float]  # (group, pid) → seconds it waited, ready to run, for a core (Linux)
    children: float  # CPU seconds of the bench's waited-for children (wrk)
    machine_busy: float  # CPU seconds of the whole machine not idle


@dataclass(frozen=True)
class CpuUse:
    """Cores used over one interval: by each group's processes, by wrk, by the machine in all."""

    seconds: float
    groups: dict[str, list[float]]  # group → cores of each of its processes (master first)
    wrk: float
    machine: float
    #: group → share of the interval each of its processes waited for a core (as `groups`; absent off Linux)
    waiting: dict[str, list[float]] = field(default_factory=dict)

    def group(self, name: str) -> float:
        return sum(self.groups.get(name, []))

    def workers(self, measured: str) -> list[float]:
        """The cores of `measured`'s workers: its processes but the master (the one process when alone)."""
        return _workers(self.groups.get(measured, []))

    def workers_waiting(self, measured: str) -> list[float]:
        """The share of the interval each of `measured`'s workers waited for a core ([] where unknown)."""
        return _workers(self.waiting.get(measured, []))

    def worker_cores(self, measured: str) -> float:
        return sum(self.workers(measured))

    @property
    def rest(self) -> float:
        """Cores the rest of the machine used: neither the groups nor wrk."""
        return max(0.0, self.machine - sum(map(sum, self.groups.values())) - self.wrk)

    def describe(self, measured: str) -> str:
        """`measured`'s workers, then Redis, wrk, the other servers and the rest of the machine."""
        workers = self.workers(measured)
        others = sum(self.group(name) for name in self.groups if name not in (measured, "redis-server"))
        return (f"{measured} worker(s) {' + '.join(f'{c:.2f}' for c in workers)}, redis-server {self.group('redis-server'):.2f}, "
                f"wrk {self.wrk:.2f}, other servers {others:.2f}, rest of the machine {self.rest:.2f} "
                f"(of {psutil.cpu_count()} cores)")


def _workers(processes: list[float]) -> list[float]:
    return processes[1:] if len(processes) > 1 else processes


class CpuMeter:
    def __init__(self, groups: dict[str, int]) -> None:
        """`groups`: name → the pid at the root of a process tree (its children are counted too)."""
        self.groups = groups
        self.marks: list[tuple[str | None, Sample]] = []

    def mark(self, label: str | None) -> None:
        """Start an interval named `label` (None: only end the previous one)."""
        self.marks.append((label, sample(self.groups)))

    def intervals(self, label: str) -> list[CpuUse]:
        """The intervals of `label`, in order."""
        return [between(start, end) for (name, start), (_, end) in zip(self.marks, self.marks[1:]) if name == label]


def sample(groups: dict[str, int]) -> Sample:
    """The CPU seconds so far of each process of each group's tree, of the bench's children and of the machine."""
    processes: dict[tuple[str, int], float] = {}
    waited: dict[tuple[str, int], float] = {}
    for name, pid in groups.items():
        try:
            root = psutil.Process(pid)
            tree = [root, *root.children(recursive=True)]
        except psutil.Error:
            continue  # a tree that ended counts no more
        for process in tree:
            try:
                times = process.cpu_times()
            except psutil.Error:
                continue  # nor does a process that ended
            processes[(name, process.pid)] = times.user + times.system
            if (seconds := waited_seconds(process.pid)) is not None:
                waited[(name, process.pid)] = seconds
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return Sample(time.monotonic(), processes, waited, children.ru_utime + children.ru_stime, machine_busy_seconds())


def between(start: Sample, end: Sample) -> CpuUse:
    """Cores used from `start` to `end`: a process born meanwhile counts from zero, one that ended not at all."""
    seconds = max(end.at - start.at, 1e-9)
    groups: dict[str, list[float]] = {}
    waiting: dict[str, list[float]] = {}
    for key, spent in end.processes.items():
        groups.setdefault(key[0], []).append((spent - start.processes.get(key, 0.0)) / seconds)
        if key in end.waited:
            waiting.setdefault(key[0], []).append((end.waited[key] - start.waited.get(key, 0.0)) / seconds)
    waiting = {name: shares for name, shares in waiting.items() if len(shares) == len(groups[name])}  # as `groups`, or not at all
    return CpuUse(seconds, groups, (end.children - start.children) / seconds, (end.machine_busy - start.machine_busy) / seconds,
                  waiting)


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent not idle (all CPUs together)."""
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


def waited_seconds(pid: int) -> float | None:
    """Seconds the process's main thread (a gevent worker's event loop) spent ready to run
    but waiting for a core, from Linux's /proc/PID/schedstat; None elsewhere."""
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return None


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"

"""CPU used by each process while a figure was measured, in cores (CPU seconds per second).

On a small machine the servers, Redis and the load generator share the CPUs: a figure
reads honestly only beside what each of them used meanwhile. A `CpuMeter` snapshots
the CPU times of process trees (a server's master and workers, redis-server), of the
bench's finished children (wrk, run with subprocess.run) and of the whole machine;
`marks` taken before each run cut the time into one interval per run.
"""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass

import psutil


@dataclass(frozen=True)
class _Sample:
    at: float
    processes: dict[tuple[str, int], float]  # (group, pid) → CPU seconds so far
    children: float  # CPU seconds of the bench's waited-for children (wrk)
    machine_busy: float  # CPU seconds of the whole machine not idle


@dataclass(frozen=True)
class CpuUse:
    """Cores used over one interval: by each group's processes, by wrk, by the machine in all."""

    seconds: float
    groups: dict[str, list[float]]  # group → cores of each of its processes (master first)
    wrk: float
    machine: float

    def group(self, name: str) -> float:
        return sum(self.groups.get(name, []))

    def workers(self, measured: str) -> list[float]:
        """The cores of `measured`'s workers: its processes but the master (the one process when alone)."""
        mine = self.groups.get(measured, [])
        return mine[1:] if len(mine) > 1 else mine

    def describe(self, measured: str) -> str:
        """`measured`'s workers, then Redis, wrk, the other servers and the rest of the machine."""
        workers = self.workers(measured)
        others = sum(self.group(name) for name in self.groups if name not in (measured, "redis-server"))
        rest = max(0.0, self.machine - sum(map(sum, self.groups.values())) - self.wrk)
        return (f"{measured} worker(s) {' + '.join(f'{c:.2f}' for c in workers)}, redis-server {self.group('redis-server'):.2f}, "
                f"wrk {self.wrk:.2f}, other servers {others:.2f}, rest of the machine {rest:.2f} "
                f"(of {psutil.cpu_count()} cores)")

    def worker_cores(self, measured: str) -> float:
        return sum(self.workers(measured))


class CpuMeter:
    def __init__(self, groups: dict[str, int]) -> None:
        """`groups`: name → the pid at the root of a process tree (its children are counted too)."""
        self.groups = groups
        self.marks: list[tuple[str | None, _Sample]] = []

    def mark(self, label: str | None) -> None:
        """Start an interval named `label` (None: only end the previous one)."""
        self.marks.append((label, self._sample()))

    def intervals(self, label: str) -> list[CpuUse]:
        """The intervals of `label`, in order."""
        return [_use(start, end) for (name, start), (_, end) in zip(self.marks, self.marks[1:]) if name == label]

    def _sample(self) -> _Sample:
        processes: dict[tuple[str, int], float] = {}
        for name, pid in self.groups.items():
            try:
                root = psutil.Process(pid)
                for process in [root, *root.children(recursive=True)]:
                    times = process.cpu_times()
                    processes[(name, process.pid)] = times.user + times.system
            except psutil.Error:
                continue  # a process that ended counts no more
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        machine = psutil.cpu_times()
        idle = machine.idle + getattr(machine, "iowait", 0.0)
        return _Sample(time.monotonic(), processes, children.ru_utime + children.ru_stime, sum(machine) - idle)


def _use(start: _Sample, end: _Sample) -> CpuUse:
    seconds = max(end.at - start.at, 1e-9)
    groups: dict[str, list[float]] = {}
    for key, spent in end.processes.items():
        groups.setdefault(key[0], []).append((spent - start.processes.get(key, 0.0)) / seconds)
    return CpuUse(seconds, groups, (end.children - start.children) / seconds, (end.machine_busy - start.machine_busy) / seconds)


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"

"""Live request statistics per endpoint group, in bounded memory. Plain Python.

Latency goes into a log-scaled histogram (buckets 2 % wide from 0.01 ms up): the
percentiles it reports are within about 1 % of the exact ones, whatever the number
of requests, and it never holds more than ~900 counters per group.

Beside the totals since the last reset, each group keeps its **recent** figures: the
requests of the last RECENT_SECONDS seconds of real time (the current second and the
ones before it), a ring of one slot per second, each with its own histogram. So a
console sees latency now, not diluted by an hour of history, in memory that does not
grow (at most RECENT_SECONDS histograms per group). Real time, not the simulator
clock: freezing or advancing the clock does not stop the window.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Any

from .groups import GROUPS

_MIN_MS = 0.01
_RATIO = 1.02
_LOG_RATIO = math.log(_RATIO)
PERCENTILES = (("p50", 0.50), ("p95", 0.95), ("p99", 0.99))
RECENT_SECONDS = 10


def is_error(status: str) -> bool:
    """An error answer: 4xx, 5xx, or none at all ("dropped")."""
    return not status.isdigit() or int(status) >= 400


def _bucket(ms: float) -> int:
    """The histogram bucket of a latency."""
    return 0 if ms <= _MIN_MS else int(math.log(ms / _MIN_MS) / _LOG_RATIO) + 1


class Histogram:
    def __init__(self) -> None:
        self.buckets: dict[int, int] = {}
        self.count = 0
        self.total_ms = 0.0
        self.max_ms = 0.0

    def add(self, ms: float, index: int | None = None) -> None:
        """One latency; `index` its bucket, when the caller has it already."""
        if index is None:
            index = _bucket(ms)
        self.buckets[index] = self.buckets.get(index, 0) + 1
        self.count += 1
        self.total_ms += ms
        if ms > self.max_ms:
            self.max_ms = ms

    def absorb(self, other: Histogram) -> None:
        for index, count in other.buckets.items():
            self.buckets[index] = self.buckets.get(index, 0) + count
        self.count += other.count
        self.total_ms += other.total_ms
        self.max_ms = max(self.max_ms, other.max_ms)

    def percentile(self, q: float) -> float | None:
        if not self.count:
            return None
        rank = max(1, math.ceil(q * self.count))
        seen = 0
        for index in sorted(self.buckets):
            seen += self.buckets[index]
            if seen >= rank:
                # the bucket's geometric middle, never above what was seen
                value = _MIN_MS if index == 0 else _MIN_MS * _RATIO ** (index - 0.5)
                return round(min(value, self.max_ms), 3)
        return round(self.max_ms, 3)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {name: self.percentile(q) for name, q in PERCENTILES}
        out["mean"] = round(self.total_ms / self.count, 3) if self.count else None
        out["max"] = round(self.max_ms, 3) if self.count else None
        out["samples"] = self.count
        return out


class _Second:
    """One second's requests of one group: a slot of the recent window."""

    __slots__ = ("second", "requests", "errors", "injected", "latency")

    def __init__(self, second: int) -> None:
        self.second = second
        self.requests = self.errors = self.injected = 0
        self.latency = Histogram()


class RecentWindow:
    """The requests of the last RECENT_SECONDS seconds: a ring of one slot per second."""

    def __init__(self) -> None:
        self.slots: list[_Second | None] = [None] * RECENT_SECONDS

    def add(self, second: int, error: bool, injected: bool, ms: float, bucket: int | None = None) -> None:
        index = second % RECENT_SECONDS
        slot = self.slots[index]
        if slot is None or slot.second != second:  # a slot from an earlier turn of the ring: reuse it
            slot = self.slots[index] = _Second(second)
        slot.requests += 1
        if error:
            slot.errors += 1
        if injected:
            slot.injected += 1
        slot.latency.add(ms, bucket)

    def to_dict(self, now_second: int) -> dict[str, Any]:
        current = [slot for slot in self.slots if slot is not None and now_second - RECENT_SECONDS < slot.second <= now_second]
        latency = Histogram()
        for slot in current:
            latency.absorb(slot.latency)
        return {
            "seconds": RECENT_SECONDS,
            "requests": sum(slot.requests for slot in current),
            "errors": sum(slot.errors for slot in current),
            "injected": sum(slot.injected for slot in current),
            "latency_ms": latency.to_dict(),
        }


class GroupStats:
    def __init__(self) -> None:
        self.requests = 0
        self.statuses: dict[str, int] = {}
        self.injected: dict[str, int] = {}
        self.latency_overrides = 0
        self.latency = Histogram()
        self.recent = RecentWindow()


class Stats:
    """Counters of every simulated request since `since` (a simulator-clock timestamp), and of
    the recent ones; `timer` gives the real seconds the recent window is counted in."""

    def __init__(self, since: float, timer: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._timer = timer
        self.since = since
        self.groups = {group: GroupStats() for group in GROUPS}
        self.domain: dict[str, dict[str, int]] = {}

    def record(self, group: str, status: int | str, elapsed_ms: float, injected: str | None = None,
               latency_override: bool = False) -> None:
        """One request: its status (or "dropped"), its server-side time, the fault injected if any.

        Every simulated request comes here: the bucket is worked out once for both
        histograms."""
        key = str(status)
        second = int(self._timer())
        bucket = _bucket(elapsed_ms)
        with self._lock:
            stats = self.groups[group]
            stats.requests += 1
            stats.statuses[key] = stats.statuses.get(key, 0) + 1
            if injected is not None:
                stats.injected[injected] = stats.injected.get(injected, 0) + 1
            if latency_override:
                stats.latency_overrides += 1
            stats.latency.add(elapsed_ms, bucket)
            stats.recent.add(second, is_error(key), injected is not None, elapsed_ms, bucket)

    def record_domain(self, kind: str, forced: bool) -> None:
        with self._lock:
            counts = self.domain.setdefault(kind, {"injected": 0, "forced_by_header": 0})
            counts["injected"] += 1
            if forced:
                counts["forced_by_header"] += 1

    def group_dict(self, group: str) -> dict[str, Any]:
        second = int(self._timer())
        with self._lock:
            stats = self.groups[group]
            statuses = dict(sorted(stats.statuses.items()))
            return {
                "requests": stats.requests,
                "statuses": statuses,
                "errors": {status: count for status, count in statuses.items() if is_error(status)},
                "injected": dict(sorted(stats.injected.items())),
                "latency_header_overrides": stats.latency_overrides,
                "latency_ms": stats.latency.to_dict(),
                "recent": stats.recent.to_dict(second),
            }

    def domain_dict(self) -> dict[str, dict[str, int]]:
        with self._lock:
            return {kind: dict(counts) for kind, counts in sorted(self.domain.items())}

    # -- several processes: each keeps its own counts, a reader merges them ---------------
    def snapshot(self) -> dict[str, Any]:
        """The counts as plain JSON-ready data (a worker publishes it for the others to merge)."""
        with self._lock:
            return {
                "since": self.since,
                "groups": {
                    group: {
                        "requests": stats.requests, "statuses": dict(stats.statuses), "injected": dict(stats.injected),
                        "latency_overrides": stats.latency_overrides, "buckets": {str(i): n for i, n in stats.latency.buckets.items()},
                        "count": stats.latency.count, "total_ms": stats.latency.total_ms, "max_ms": stats.latency.max_ms,
                    }
                    for group, stats in self.groups.items() if stats.requests
                },
                "domain": {kind: dict(counts) for kind, counts in self.domain.items()},
            }

    @classmethod
    def merged(cls, since: float, snapshots: list[dict[str, Any]]) -> Stats:
        """One Stats holding the sum of several snapshots (percentiles from the summed histograms)."""
        total = cls(since)
        for snapshot in snapshots:
            for group, counts in snapshot.get("groups", {}).items():
                stats = total.groups.get(group)
                if stats is None:
                    continue
                stats.requests += counts["requests"]
                _add(stats.statuses, counts["statuses"])
                _add(stats.injected, counts["injected"])
                stats.latency_overrides += counts["latency_overrides"]
                histogram = stats.latency
                _add(histogram.buckets, {int(index): n for index, n in counts["buckets"].items()})
                histogram.count += counts["count"]
                histogram.total_ms += counts["total_ms"]
                histogram.max_ms = max(histogram.max_ms, counts["max_ms"])
            for kind, counts in snapshot.get("domain", {}).items():
                _add(total.domain.setdefault(kind, {"injected": 0, "forced_by_header": 0}), counts)
        return total


def _add(into: dict, counts: dict) -> None:
    for key, count in counts.items():
        into[key] = into.get(key, 0) + count

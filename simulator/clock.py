"""The simulator clock: the only source of "now" in the simulator.

It runs in one of two modes: `running` (real time plus an offset, so it can be set
or advanced while it keeps ticking) or `frozen` (time stands still until set or
advanced). Tests and demos freeze it and advance it to move time-based rules along.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import lru_cache

UTC = UTC


def rfc3339(moment: datetime) -> str:
    """`2026-11-29T18:45:09Z`: RFC 3339, UTC, whole seconds."""
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    # isoformat is several times faster than strftime, and this runs per product exported.
    return moment.isoformat()[:19] + "Z"


#: `rfc3339` of moments shown again and again (a basket's `created_at` on every answer of
#: it), kept: a lookup costs a twentieth of the formatting.
recent_rfc3339 = lru_cache(maxsize=4096)(rfc3339)


def parse_rfc3339(text: str) -> datetime:
    """Parse an RFC 3339 timestamp; a naive one is taken as UTC. Raises ValueError."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class Clock:
    """Its state is (offset, frozen_at): each change is a pure transition of it, applied under a
    lock here, and atomically in Redis by a clock shared between processes (shared/clock.py)."""

    def __init__(self, wall=time.time):
        self._wall = wall
        self._lock = threading.Lock()
        self._offset = 0.0
        self._frozen_at: float | None = None

    def timestamp(self) -> float:
        frozen = self._frozen_at
        return frozen if frozen is not None else self._wall() + self._offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp(), UTC)

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    def freeze(self) -> None:
        self._apply(_freeze)

    def resume(self) -> None:
        """Run again from the current simulated time."""
        self._apply(_resume)

    def set(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        target = moment.timestamp()
        self._apply(lambda offset, frozen_at, wall: (offset, target) if frozen_at is not None else (target - wall, None))

    def advance(self, delta: timedelta) -> None:
        if delta < timedelta(0):
            raise ValueError("the clock only moves forward")
        step = delta.total_seconds()
        self._apply(lambda offset, frozen_at, wall: (offset, frozen_at + step) if frozen_at is not None else (offset + step, None))

    def reset(self) -> None:
        self._apply(lambda offset, frozen_at, wall: (0.0, None))

    def describe(self) -> dict:
        return {"now": rfc3339(self.now()), "frozen": self.frozen, "offset_seconds": round(self._offset, 3)}

    def _apply(self, transition: Transition) -> None:
        with self._lock:
            self._offset, self._frozen_at = transition(self._offset, self._frozen_at, self._wall())


#: (offset, frozen_at, wall time now) → the new (offset, frozen_at)
Transition = Callable[[float, "float | None", float], "tuple[float, float | None]"]


def _freeze(offset: float, frozen_at: float | None, wall: float) -> tuple[float, float | None]:
    return (offset, wall + offset) if frozen_at is None else (offset, frozen_at)


def _resume(offset: float, frozen_at: float | None, wall: float) -> tuple[float, float | None]:
    return (frozen_at - wall, None) if frozen_at is not None else (offset, None)

"""The simulator clock: the only source of "now" in the simulator.

It runs in one of two modes: `running` (real time plus an offset, so it can be set
or advanced while it keeps ticking) or `frozen` (time stands still until set or
advanced). Tests and demos freeze it and advance it to move time-based rules along.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

UTC = timezone.utc


def rfc3339(moment: datetime) -> str:
    """`2026-11-29T18:45:09Z`: RFC 3339, UTC, whole seconds."""
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    # isoformat is several times faster than strftime, and this runs per product exported.
    return moment.isoformat()[:19] + "Z"


def parse_rfc3339(text: str) -> datetime:
    """Parse an RFC 3339 timestamp; a naive one is taken as UTC. Raises ValueError."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class Clock:
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
        with self._lock:
            if self._frozen_at is None:
                self._frozen_at = self._wall() + self._offset

    def resume(self) -> None:
        """Run again from the current simulated time."""
        with self._lock:
            if self._frozen_at is not None:
                self._offset = self._frozen_at - self._wall()
                self._frozen_at = None

    def set(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        with self._lock:
            target = moment.timestamp()
            if self._frozen_at is not None:
                self._frozen_at = target
            else:
                self._offset = target - self._wall()

    def advance(self, delta: timedelta) -> None:
        if delta < timedelta(0):
            raise ValueError("the clock only moves forward")
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at += delta.total_seconds()
            else:
                self._offset += delta.total_seconds()

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0
            self._frozen_at = None

    def describe(self) -> dict:
        return {"now": rfc3339(self.now()), "frozen": self.frozen, "offset_seconds": round(self._offset, 3)}

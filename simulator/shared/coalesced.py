"""One read of Redis that serves every request which arrived before it was sent.

Each request starts with a freshness check (a GET of the version counter). Under load
many requests start while one check is on its way; each of them needs a check sent
after it arrived (one sent before could have read the counter before a change the
request must see), but not a check of its own. So one check is in the air at a time,
and callers that arrive meanwhile board the next one, sent as soon as that one lands
and answering all of them at once. Alone, a request sends its own check at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class _Flight:
    def __init__(self) -> None:
        self.landed = threading.Event()  # a gevent Event under the server: it wakes every waiter at once
        self.answered = False
        self.answer = None
        self.error: Exception | None = None


class Coalesced(Generic[T]):
    def __init__(self, read: Callable[[], T]) -> None:
        self._read = read
        self._lock = threading.Lock()  # guards the two flights below, never held across a read
        self._in_air: _Flight | None = None
        self._boarding: _Flight | None = None  # the next flight: sent when the one in the air lands

    def __call__(self) -> T:
        with self._lock:
            ahead = self._in_air
            if ahead is None:
                flight = self._in_air = _Flight()
                sends = True
            elif self._boarding is None:
                flight = self._boarding = _Flight()
                sends = True  # its first passenger sends it
            else:
                flight, sends = self._boarding, False
        if not sends:
            flight.landed.wait()
        elif ahead is None:
            self._fly(flight)
        else:
            try:
                ahead.landed.wait()  # as it lands, it makes this flight the one in the air
            finally:
                self._fly(flight)  # even when this wait is cut short: its passengers wait for it
        if flight.error is not None:
            raise flight.error
        if not flight.answered:  # its sender was interrupted (not a failed read): check anew
            return self()
        return flight.answer  # type: ignore[return-value]

    def _fly(self, flight: _Flight) -> None:
        with self._lock:
            if self._boarding is flight:  # sent before the one ahead landed: no one boards it any more
                self._boarding = None
        try:
            flight.answer, flight.answered = self._read(), True
        except Exception as error:
            flight.error = error
        finally:
            with self._lock:
                if self._in_air is flight:
                    self._in_air, self._boarding = self._boarding, None
            flight.landed.set()

"""The simulator's Flask application class."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask


class SimulatorFlask(Flask):
    """Flask, remembering which functions it found plain. For every request Flask asks of
    each view and hook it calls whether it is a coroutine function (`ensure_sync`, ~1 µs
    each, about seven a request here), of the same few functions each time. A function
    found plain is let through at once later; any other still takes Flask's own path.
    Bounded, should some caller pass a new callable every time (a bound method of a new
    object)."""

    PLAIN_KEPT = 1024

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plain: set[Callable[..., Any]] = set()

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        try:
            if func in self._plain:
                return func
        except TypeError:  # unhashable: not kept
            return super().ensure_sync(func)
        synced = super().ensure_sync(func)
        if synced is func:
            if len(self._plain) >= self.PLAIN_KEPT:
                self._plain.clear()
            self._plain.add(func)
        return synced

"""Sweeps over every record of a kind, a bounded batch at a time.

A sweep that walked a whole kind in one go would hold the server's one event loop for
as long as the kind is large, and a long load test leaves tens of thousands of orders,
guest baskets and idempotency records behind. A `Sweep` examines at most `batch`
records a step, under the store lock, and keeps its place per store (run-time state of
the background work, dropped with the store on a reset): the next step carries on
after the last record it saw. Records added behind that place wait for the next pass.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from simulator.store import Store


@dataclass
class _Place:
    after: str | None = None  # the last id the pass under way saw; None: at its start
    running: bool = False
    started: float = float("-inf")


class Sweep:
    def __init__(self, kind: str, name: str, batch: int, every: float = 0.0):
        self.kind, self.name = kind, name
        self.batch = batch  # most records one step examines
        self.every = every  # simulated seconds from the start of one pass to the start of the next
        self._places: weakref.WeakKeyDictionary[Store, _Place] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def step(self, store: Store, now: float, visit: Callable[[Any], object]) -> bool:
        """Call `visit(record)` for the next batch of records, in id order; True when this
        step ended a pass, or found no pass due. `visit` runs under the store lock."""
        with self._lock:
            place = self._places.setdefault(store, _Place())
        with store.atomic():
            if not place.running:  # between passes: start one when it is due
                if now - place.started < self.every:
                    return True
                place.running, place.started, place.after = True, now, None
            ids = store.ids_after(self.kind, place.after, self.batch)
            for record in store.get_many(self.kind, ids):  # one round trip in a shared store
                if record is not None:
                    visit(record)
            if len(ids) < self.batch:
                place.running = False
                return True
            place.after = ids[-1]
            return False

    def run_pass(self, store: Store, now: float, visit: Callable[[Any], object], pause: Callable[[], None]) -> None:
        """A whole pass, when one is due, a batch at a time with `pause()` between batches."""
        while not self.step(store, now, visit):
            pause()

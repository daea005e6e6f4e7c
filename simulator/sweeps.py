"""Sweeps over every record of a kind, a bounded batch at a time.

A sweep that walked a whole kind in one go would hold the server's one event loop for
as long as the kind is large, and a long load test leaves tens of thousands of orders,
guest baskets and idempotency records behind. A `Sweep` examines at most `batch`
records a step, under the store lock, and keeps its place in the store's meta: the
next step (the next tick, the next request) carries on after the last record it saw.
Records added behind that place wait for the next pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from simulator.store import Store


@dataclass(frozen=True)
class Sweep:
    kind: str
    name: str  # its keys in store.meta() start with this
    batch: int  # most records one step examines
    every: float = 0.0  # simulated seconds from the start of one pass to the start of the next

    def step(self, store: Store, now: float, visit: Callable[[Any], object]) -> bool:
        """Call `visit(record)` for the next batch of records, in id order; True when this
        step ended a pass, or found no pass due. `visit` runs under the store lock."""
        meta = store.meta()
        place, started = f"{self.name}.after", f"{self.name}.started"
        with store.atomic():
            if place not in meta:  # between passes: start one when it is due
                if now - meta.get(started, float("-inf")) < self.every:
                    return True
                meta[started], meta[place] = now, None
            ids = store.ids_after(self.kind, meta[place], self.batch)
            for record_id in ids:
                record = store.get(self.kind, record_id)
                if record is not None:
                    visit(record)
            if len(ids) < self.batch:
                del meta[place]
                return True
            meta[place] = ids[-1]
            return False

"""Records of one kind in the order they were last touched: the bounds of what callers
can make the simulator keep (guest baskets, checkouts, failed-login records).

An `AgeIndex` keeps a named set of the store whose members are `<stamp>|<record id>`,
the stamp fixed-width milliseconds of the simulator clock, so the set's lexical order
is oldest first. Expiry then reads only what expired (`expire`), and a cap forgets the
longest untouched first (`evict_beyond`), both without scanning the kind.

The owner of the kind calls `added` / `replaced` / `delete` wherever it writes an
indexed record, under the store lock. A member whose record was deleted or touched
since (its stamp no longer matches) is stale: it is dropped when met, never acted on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import takewhile
from typing import Any

from simulator.store import Store

_WIDTH = 15  # milliseconds: enough for some 30,000 years of clock
#: Members read per round while expiring or evicting.
_BATCH = 500


@dataclass(frozen=True)
class AgeIndex:
    kind: str
    name: str  # the store's named set
    stamp: Callable[[Any], float]  # a record's last touch, a simulator-clock timestamp
    batch: int = _BATCH  # members a round of expiry or eviction reads

    def member(self, record: Any) -> str:
        return f"{max(0, round(self.stamp(record) * 1000)):0{_WIDTH}d}|{record.id}"

    # -- keeping it in step with the records ---------------------------------------------
    def added(self, store: Store, record: Any) -> None:
        store.set_add(self.name, self.member(record))

    def replaced(self, store: Store, before: Any | None, after: Any) -> None:
        with store.atomic():
            if before is not None:
                store.set_remove(self.name, self.member(before))
            store.set_add(self.name, self.member(after))

    def delete(self, store: Store, record: Any) -> None:
        """Delete the record and its place in the index."""
        with store.atomic():
            store.delete(self.kind, record.id)
            store.set_remove(self.name, self.member(record))

    def size(self, store: Store) -> int:
        return store.set_size(self.name)

    # -- bounds ------------------------------------------------------------------------
    def expire(self, store: Store, before: float, forget: Callable[[Any], object] | None = None,
               pause: Callable[[], None] | None = None) -> int:
        """Delete every record last touched before `before` (a timestamp), oldest first;
        returns how many. `forget(record)` runs for each, under the lock, before it goes;
        `pause()` between two rounds (`offload.cooperative_yield` lets requests run)."""
        limit = f"{max(0, round(before * 1000)):0{_WIDTH}d}|"
        dropped = 0
        while True:
            with store.atomic():  # a round at a time: requests are never held for the whole pass
                due = list(takewhile(lambda member: member < limit, store.set_members(self.name, limit=self.batch)))
                dropped += self._drop(store, due, forget)
            if len(due) < self.batch:
                return dropped
            if pause is not None:
                pause()

    def evict_beyond(self, store: Store, cap: int, forget: Callable[[Any], object] | None = None) -> int:
        """Delete the longest-untouched records until at most `cap` are indexed; how many went."""
        dropped = 0
        while True:
            with store.atomic():
                excess = store.set_size(self.name) - cap
                if excess <= 0:  # the common case: one O(1) look
                    return dropped
                dropped += self._drop(store, store.set_members(self.name, limit=min(excess, self.batch)), forget)

    def _drop(self, store: Store, members: list[str], forget: Callable[[Any], object] | None) -> int:
        """Delete the records of these members (the caller holds the lock); stale ones only lose their member."""
        dropped = 0
        for member in members:
            record = store.get(self.kind, member.partition("|")[2])
            if record is not None and self.member(record) == member:
                if forget is not None:
                    forget(record)
                store.delete(self.kind, record.id)
                dropped += 1
            store.set_remove(self.name, member)
        return dropped

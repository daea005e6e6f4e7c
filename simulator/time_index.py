"""Records of one kind in the order of a simulator-clock time of each: when it was last
touched (guest baskets, checkouts, failed-login records: the bounds of what callers can
make the simulator keep), or when something is next due for it (an idempotency record's
expiry, an order's next status). Background work then reads only what is due, however
many records the kind holds.

A `TimeIndex` keeps a named set of the store whose members are `<stamp>|<record id>`,
the stamp fixed-width milliseconds of the simulator clock, so the set's lexical order
is earliest first. `walk_due` acts on the records whose time has come, a bounded batch
under the store lock at a time; on them are built expiry (`expire`) and a cap that
forgets the longest untouched first (`evict_beyond`). A record whose stamp is None
(nothing due: an order in its final state) has no member.

The owner of the kind calls `added` / `replaced` / `delete` wherever it writes an
indexed record, under the store lock. A member whose record was deleted or changed
since (its stamp no longer matches) is stale: it is dropped when met, never acted on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import takewhile
from typing import Any

from simulator.store import Store

_WIDTH = 15  # milliseconds: enough for some 30,000 years of clock
#: Members read per round while walking what is due or evicting.
_BATCH = 500


def _millis(stamp: float) -> int:
    return round(stamp * 1000)


def _same_millis(one: float | None, other: float | None) -> bool:
    return one == other or (one is not None and other is not None and _millis(one) == _millis(other))


def _prefix(millis: int) -> str:
    return f"{max(0, millis):0{_WIDTH}d}|"


@dataclass(frozen=True)
class TimeIndex:
    kind: str
    name: str  # the store's named set
    stamp: Callable[[Any], float | None]  # a record's time, a simulator-clock timestamp; None: not indexed
    batch: int = _BATCH  # members a round reads

    def member(self, record: Any) -> str | None:
        stamp = self.stamp(record)
        return None if stamp is None else f"{_prefix(_millis(stamp))}{record.id}"

    # -- keeping it in step with the records ---------------------------------------------
    def added(self, store: Store, record: Any) -> None:
        member = self.member(record)
        if member is not None:
            store.set_add(self.name, member)

    def replaced(self, store: Store, before: Any | None, after: Any) -> None:
        if before is not None and _same_millis(self.stamp(before), self.stamp(after)):
            return  # the same member: compared before either is written out
        old, new = None if before is None else self.member(before), self.member(after)
        with store.atomic():
            if old is not None:
                store.set_remove(self.name, old)
            if new is not None:
                store.set_add(self.name, new)

    def delete(self, store: Store, record: Any) -> None:
        """Delete the record and its place in the index."""
        with store.atomic():
            store.delete(self.kind, record.id)
            member = self.member(record)
            if member is not None:
                store.set_remove(self.name, member)

    def size(self, store: Store) -> int:
        return store.set_size(self.name)

    # -- reading what is due -------------------------------------------------------------
    def walk_due(self, store: Store, until: float, act: Callable[[Any], object],
                 pause: Callable[[], None] | None = None, rounds: int | None = None) -> int:
        """`act(record)` for each record whose time is `until` or earlier, earliest first, a
        batch a round under the store lock; returns how many. `act` must move the record's
        member on (delete it, or change it so its time is later). `pause()` runs between
        two rounds (`offload.cooperative_yield` lets requests run); at most `rounds` rounds.

        What is due is looked up before the lock is taken: nothing due costs one read of the
        index (one round trip on Redis) and holds no lock. Members added behind the walk's
        place while it runs wait for the next walk."""
        return self._walk(store, _prefix(_millis(until) + 1), act, pause, rounds)

    def _walk(self, store: Store, limit: str, act: Callable[[Any], object],
              pause: Callable[[], None] | None, rounds: int | None) -> int:
        """`walk_due` up to members below `limit`."""
        after, acted, done = None, 0, 0
        while True:
            due = list(takewhile(lambda member: member < limit, store.set_members(self.name, after, self.batch)))
            if due:
                with store.atomic():  # a round at a time: requests are never held for the whole walk
                    acted += self._settle(store, due, act)
                done += 1
            if len(due) < self.batch or (rounds is not None and done >= rounds):
                return acted
            after = due[-1]
            if pause is not None:
                pause()

    def expire(self, store: Store, before: float, forget: Callable[[Any], object] | None = None,
               pause: Callable[[], None] | None = None) -> int:
        """Delete every record whose time is before `before` (a timestamp), earliest first;
        returns how many. `forget(record)` runs for each, under the lock, before it goes."""
        return self._walk(store, _prefix(_millis(before)), lambda record: self._forget(store, record, forget), pause, None)

    def evict_beyond(self, store: Store, cap: int, forget: Callable[[Any], object] | None = None) -> int:
        """Delete the longest-untouched records until at most `cap` are indexed; how many went."""
        dropped = 0
        while True:
            with store.atomic():
                if store.set_size_at_most(self.name, cap):  # the common case: one O(1) look
                    return dropped
                excess = store.set_size(self.name) - cap
                members = store.set_members(self.name, limit=min(excess, self.batch))
                dropped += self._settle(store, members, lambda record: self._forget(store, record, forget))

    def _forget(self, store: Store, record: Any, forget: Callable[[Any], object] | None) -> None:
        if forget is not None:
            forget(record)
        self.delete(store, record)

    def _settle(self, store: Store, members: list[str], act: Callable[[Any], object]) -> int:
        """`act` on the record of each current member (the caller holds the lock); a stale
        member is only removed. The records are read in one go (one round trip on Redis)."""
        records = store.get_many(self.kind, [member.partition("|")[2] for member in members])
        acted = 0
        for member, record in zip(members, records):
            if record is not None and self.member(record) == member:
                act(record)
                acted += 1
            else:
                store.set_remove(self.name, member)
        return acted

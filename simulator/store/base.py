"""The store interface: the only place that holds shared state.

Records are immutable objects with an `id` (and usually `version` and `owner_id`);
a change replaces the record as a whole, so a reader never sees half an update.
The interface is narrow on purpose so that a shared backend (Redis) can implement
it for several worker processes: get / put / delete, ordered and per-owner queries,
an atomic read-check-write, named sequences, named ordered sets of ids, and a
sequence-numbered change log per kind.

Only shared shop state belongs here. Run-time state of the simulator itself (the
simulation config in force, stats, throttles of background work) lives on the
Runtime or in the background jobs.
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


class RecordNotFound(LookupError):
    def __init__(self, kind: str, record_id: str):
        super().__init__(f"{kind} {record_id} not found")
        self.kind, self.record_id = kind, record_id


class VersionConflict(Exception):
    def __init__(self, kind: str, record_id: str, expected: int, actual: int):
        super().__init__(f"{kind} {record_id} is at version {actual}, not {expected}")
        self.kind, self.record_id, self.expected, self.actual = kind, record_id, expected, actual


class StoreUnavailable(ConnectionError):
    """A shared store cannot be reached, or stayed locked too long: the request answers 503
    STORE_UNAVAILABLE and nothing was written."""


@dataclass(frozen=True, slots=True)
class Change:
    """One entry of a change log: the latest change of one record."""

    seq: int
    record_id: str
    deleted: bool
    at: float  # simulated timestamp of the change


@dataclass(frozen=True, slots=True)
class ReadAhead:
    """The records a request is about to read, named before it runs: a shared store reads
    them in the round trip of the request's freshness check (`Runtime.refresh`), and the
    request's own reads of them (outside `atomic()`, each once) answer from what came back.

    One owner's records: `owner`, or the owner of the record `owner_of` (kind, id), which
    is read too; then the record of each kind in `records` whose id is the owner's (a
    customer), and the records of each kind in `owned` that the owner owns (`by_owner`).
    Besides, whoever owns them, the records `by_id` names as (kind, id) (the checkout a
    path names: its route still checks whose it is).
    """

    owner: str = ""
    owner_of: tuple[str, str] | None = None
    records: tuple[str, ...] = ()
    owned: tuple[str, ...] = ()
    by_id: tuple[tuple[str, str], ...] = ()


class Store(ABC):
    #: Drawn afresh for every store (each start, each reset), never derived from the seed:
    #: tokens from an earlier catalog are recognised as stale, and ids that carry it (events,
    #: webhook deliveries) are never handed out twice.
    generation: str
    seed: int

    # -- records -------------------------------------------------------------
    @abstractmethod
    def get(self, kind: str, record_id: str) -> Any | None: ...

    @abstractmethod
    def get_many(self, kind: str, record_ids: list[str]) -> list[Any | None]:
        """The records of these ids in their order, None where there is none (Redis: one MGET)."""

    @abstractmethod
    def put(self, kind: str, record: Any) -> None: ...

    @abstractmethod
    def delete(self, kind: str, record_id: str) -> Any | None: ...

    @abstractmethod
    def load(self, kind: str, records: Iterable[Any]) -> None:
        """Bulk insert for seeding (no change-log entries)."""

    @abstractmethod
    def count(self, kind: str) -> int: ...

    def count_at_most(self, kind: str, limit: int) -> bool:
        """Whether the kind holds at most `limit` records: what a cap asks (checked as such by
        a shared store's transaction, as `set_size_at_most`)."""
        return self.count(kind) <= limit

    @abstractmethod
    def values(self, kind: str) -> list[Any]:
        """A snapshot of every record of a kind, in id order."""

    @abstractmethod
    def ids_after(self, kind: str, after: str | None, limit: int, offset: int = 0) -> list[str]:
        """Up to `limit` ids greater than `after` (skipping `offset` of them), in id order."""

    @abstractmethod
    def by_owner(self, kind: str, owner_id: str) -> list[Any]: ...

    @abstractmethod
    def update(
        self,
        kind: str,
        record_id: str,
        change: Callable[[T], T],
        expected_version: int | None = None,
        *,
        seen: T | None = None,
        also: Callable[[T, T], object] | None = None,
    ) -> T:
        """Atomically read, check the version, apply `change` and write the result.

        `seen`: the record as this request read it (from `get` or `by_owner`); a shared
        store tries the change on it first instead of reading it again, and writes only if
        the record is still the one seen. `also(before, after)`: further writes (no reads)
        that move with the record, such as an index entry; they are written in the same
        atomic step.

        Raises RecordNotFound, VersionConflict, or whatever `change` raises (then
        nothing is written).
        """

    @abstractmethod
    def atomic(self) -> AbstractContextManager:
        """Hold the store's write lock across several reads and writes."""

    def transaction(self, body: Callable[[], T]) -> T:
        """`body()` as under `atomic()`, returning what it returns. A shared store may run it
        optimistically, without the write lock, and then more than once: `body` must act
        only through the store (and by raising), and may see an inconsistent moment on a run
        whose writes are then discarded. Inside `atomic()` or another transaction it joins it."""
        with self.atomic():
            return body()

    @abstractmethod
    def snapshot(self) -> AbstractContextManager:
        """Several reads that must see one moment (ids, then their records), without a write
        lock in a shared store: it answers them from its local copy of the catalog."""

    # -- ids and randomness ----------------------------------------------------
    @abstractmethod
    def new_id(self, prefix: str) -> str:
        """A fresh id `prefix_xxxxxxxxxxxx`, deterministic for the seed and call order."""

    @abstractmethod
    def rng(self, stream: str) -> random.Random:
        """A named random stream seeded from the store's seed (churn, ids, …)."""

    @abstractmethod
    def next_seq(self, name: str) -> int:
        """Atomically advance the named sequence and return its new value: 1, 2, 3, …

        O(1) (Redis: INCR). Sequences start afresh with the store (on reset).
        """

    # -- named ordered sets ----------------------------------------------------
    @abstractmethod
    def set_add(self, name: str, member: str) -> None:
        """Add `member` to the named set (no-op when present). O(log n) (Redis: ZADD, score 0)."""

    @abstractmethod
    def set_remove(self, name: str, member: str) -> None:
        """Remove `member` from the named set (no-op when absent). O(log n) (Redis: ZREM)."""

    @abstractmethod
    def set_size(self, name: str) -> int:
        """How many members the named set holds. O(1) (Redis: ZCARD)."""

    def set_size_at_most(self, name: str, limit: int) -> bool:
        """Whether the named set holds at most `limit` members: what a cap asks. A shared
        store's transaction checks only that at its commit, not the exact size, which
        racing adds change far more often than the answer."""
        return self.set_size(name) <= limit

    @abstractmethod
    def set_members(self, name: str, after: str | None = None, limit: int | None = None) -> list[str]:
        """Up to `limit` (None: all) members greater than `after`, in lexical order.

        O(log n + returned) (Redis: ZRANGEBYLEX over equal scores). An empty or unknown
        set answers []: `set_members(name, limit=1)` is the cheap emptiness check.
        """

    # -- change log ------------------------------------------------------------
    @abstractmethod
    def log_change(self, kind: str, record_id: str, deleted: bool, at: float) -> None:
        """Record that a record changed: it takes the kind's next sequence number, in the order
        the changes are written (`last_seq` tells it once written)."""

    @abstractmethod
    def last_seq(self, kind: str) -> int: ...

    @abstractmethod
    def oldest_valid_seq(self, kind: str) -> int:
        """A sync token older than this may have missed a purged deletion."""

    @abstractmethod
    def changes_since(self, kind: str, seq: int, limit: int) -> list[Change]:
        """The latest change of each record changed after `seq`, in sequence order."""

    @abstractmethod
    def purge_deletions(self, kind: str, before: float) -> int:
        """Forget deletions older than `before`; returns how many were purged."""

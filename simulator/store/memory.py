"""The in-memory store: dicts and sorted indexes behind one re-entrant lock.

Writers take the lock; readers read without it, which is safe because records are
immutable and every index update happens under the lock in a single step.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections import defaultdict, deque
from collections.abc import Iterable
from typing import Any

from sortedcontainers import SortedDict, SortedList

from simulator.offload import cooperative_map
from simulator.sortedlists import KEYS_PER_PAUSE, sorted_list

from .base import Change, RecordNotFound, Store, VersionConflict

_ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case


_ID_PAIRS = tuple(a + b for a in _ID_ALPHABET for b in _ID_ALPHABET)  # 10 bits → 2 characters


def encode_id(prefix: str, number: int) -> str:
    """`prd_` + 12 base32 characters of a 60-bit number (its low 60 bits).

    Two characters a lookup: seeding makes an id per record, a million at a time.
    """
    pairs = _ID_PAIRS
    return (
        f"{prefix}_{pairs[number >> 50 & 1023]}{pairs[number >> 40 & 1023]}{pairs[number >> 30 & 1023]}"
        f"{pairs[number >> 20 & 1023]}{pairs[number >> 10 & 1023]}{pairs[number & 1023]}"
    )


class _ChangeLog:
    """Sequence-numbered, coalesced per record: only a record's latest change is kept.

    Reading from a sequence number costs O(log n + returned), whatever the size
    of the catalog. Deletions (tombstones) are kept until purged by age; the
    highest purged sequence number becomes the oldest token still valid.
    """

    def __init__(self) -> None:
        self.entries: SortedDict = SortedDict()  # seq -> Change
        self.latest: dict[str, int] = {}  # record id -> seq of its latest change
        self.tombstones: deque[Change] = deque()  # deletions in sequence order
        self.seq = 0
        self.floor = 0

    def record(self, record_id: str, deleted: bool, at: float) -> int:
        self.seq += 1
        previous = self.latest.get(record_id)
        if previous is not None:
            del self.entries[previous]
        change = Change(self.seq, record_id, deleted, at)
        self.entries[self.seq] = change
        self.latest[record_id] = self.seq
        if deleted:
            self.tombstones.append(change)
        return self.seq

    def since(self, seq: int, limit: int) -> list[Change]:
        start = self.entries.bisect_right(seq)
        keys = self.entries.keys()[start : start + limit]
        return [self.entries[key] for key in keys]

    def purge(self, before: float) -> int:
        purged = 0
        while self.tombstones and self.tombstones[0].at < before:
            change = self.tombstones.popleft()
            if self.latest.get(change.record_id) == change.seq:
                del self.entries[change.seq]
                del self.latest[change.record_id]
                self.floor = max(self.floor, change.seq)
                purged += 1
        return purged


class InMemoryStore(Store):
    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self.generation = uuid.uuid4().hex[:10]
        self._lock = threading.RLock()
        self._records: dict[str, dict[str, Any]] = defaultdict(dict)
        self._order: dict[str, SortedList] = defaultdict(SortedList)
        self._owners: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        self._logs: dict[str, _ChangeLog] = defaultdict(_ChangeLog)
        self._rngs: dict[str, random.Random] = {}
        self._seqs: dict[str, int] = defaultdict(int)
        self._sets: dict[str, SortedList] = defaultdict(SortedList)

    # -- records -------------------------------------------------------------
    def get(self, kind: str, record_id: str) -> Any | None:
        return self._records[kind].get(record_id)

    def get_many(self, kind: str, record_ids: list[str]) -> list[Any | None]:
        records = self._records[kind]
        return [records.get(record_id) for record_id in record_ids]

    def put(self, kind: str, record: Any) -> None:
        with self._lock:
            records = self._records[kind]
            previous = records.get(record.id)
            if previous is None:
                self._order[kind].add(record.id)
                self._index_owner(kind, record)
            elif getattr(previous, "owner_id", None) != getattr(record, "owner_id", None):  # most changes keep the owner
                self._unindex_owner(kind, previous)
                self._index_owner(kind, record)
            records[record.id] = record

    def delete(self, kind: str, record_id: str) -> Any | None:
        with self._lock:
            previous = self._records[kind].pop(record_id, None)
            if previous is not None:
                self._order[kind].remove(record_id)
                self._unindex_owner(kind, previous)
            return previous

    def load(self, kind: str, records: Iterable[Any]) -> None:
        with self._lock:
            target = self._records[kind]
            for record in records:
                target[record.id] = record
                self._index_owner(kind, record)
            self._order[kind] = sorted_list(target)  # a million ids: sorted a slice at a time

    def count(self, kind: str) -> int:
        return len(self._records[kind])

    def values(self, kind: str) -> list[Any]:
        with self._lock:
            records = self._records[kind]
            return cooperative_map(records.__getitem__, self._order[kind], KEYS_PER_PAUSE)  # a million: a pause now and then

    def ids_after(self, kind: str, after: str | None, limit: int, offset: int = 0) -> list[str]:
        with self._lock:
            order = self._order[kind]
            start = (0 if after is None else order.bisect_right(after)) + offset
            return list(order.islice(start, start + limit))

    def by_owner(self, kind: str, owner_id: str) -> list[Any]:
        with self._lock:
            records = self._records[kind]
            return [records[record_id] for record_id in sorted(self._owners[kind].get(owner_id, ()))]

    def _index_owner(self, kind: str, record: Any) -> None:
        owner = getattr(record, "owner_id", None)
        if owner is not None:
            self._owners[kind][owner].add(record.id)

    def _unindex_owner(self, kind: str, record: Any) -> None:
        owner = getattr(record, "owner_id", None)
        if owner is not None:
            owners = self._owners[kind]
            owned = owners.get(owner)
            if owned is not None:
                owned.discard(record.id)
                if not owned:  # an owner with nothing left goes too: guests come and go without bound
                    del owners[owner]

    def update(self, kind, record_id, change, expected_version=None, *, seen=None, also=None):
        with self._lock:
            current = self._records[kind].get(record_id)
            if current is None:
                raise RecordNotFound(kind, record_id)
            if expected_version is not None and current.version != expected_version:
                raise VersionConflict(kind, record_id, expected_version, current.version)
            updated = change(current)
            self.put(kind, updated)
            if also is not None:
                also(current, updated)
            return updated

    def atomic(self):
        return self._lock

    def snapshot(self):
        return self._lock

    def contents(self) -> tuple[dict[str, list[Any]], dict[str, int], dict[str, list[str]]]:
        """Records by kind (in id order), named sequences and named sets: what a seeded store
        holds, for copying it into a shared store. Its change logs must still be empty."""
        with self._lock:
            if any(log.seq for log in self._logs.values()):
                raise ValueError("contents() copies a freshly seeded store: its change logs are not empty")
            records = {kind: self.values(kind) for kind in self._records if self._records[kind]}
            return records, dict(self._seqs), {name: list(members) for name, members in self._sets.items() if members}

    # -- ids and randomness ----------------------------------------------------
    def rng(self, stream: str) -> random.Random:
        with self._lock:
            if stream not in self._rngs:
                self._rngs[stream] = random.Random(f"{self.seed}:{stream}")
            return self._rngs[stream]

    def new_id(self, prefix: str) -> str:
        with self._lock:
            generator = self.rng("ids")
            while True:
                candidate = encode_id(prefix, generator.getrandbits(60))
                if all(candidate not in records for records in self._records.values()):
                    return candidate

    def next_seq(self, name: str) -> int:
        with self._lock:
            self._seqs[name] += 1
            return self._seqs[name]

    # -- named ordered sets ----------------------------------------------------
    def set_add(self, name: str, member: str) -> None:
        with self._lock:
            members = self._sets[name]
            if member not in members:
                members.add(member)

    def set_remove(self, name: str, member: str) -> None:
        with self._lock:
            self._sets[name].discard(member)

    def set_size(self, name: str) -> int:
        members = self._sets.get(name)
        return len(members) if members else 0

    def set_members(self, name: str, after: str | None = None, limit: int | None = None) -> list[str]:
        with self._lock:
            members = self._sets.get(name)
            if not members:
                return []
            start = 0 if after is None else members.bisect_right(after)
            return list(members.islice(start, None if limit is None else start + limit))

    # -- change log ------------------------------------------------------------
    def log_change(self, kind: str, record_id: str, deleted: bool, at: float) -> None:
        with self._lock:
            self._logs[kind].record(record_id, deleted, at)

    def last_seq(self, kind: str) -> int:
        return self._logs[kind].seq

    def oldest_valid_seq(self, kind: str) -> int:
        return self._logs[kind].floor

    def changes_since(self, kind: str, seq: int, limit: int) -> list[Change]:
        with self._lock:
            return self._logs[kind].since(seq, limit)

    def purge_deletions(self, kind: str, before: float) -> int:
        with self._lock:
            return self._logs[kind].purge(before)

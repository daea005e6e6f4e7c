"""The Redis store: the store interface shared by every worker process on every host.

Layout, under `<namespace>:g:<generation>:` (a reset writes a new generation and
points every process at it at once; see `generations.py`):

    r:<kind>:<id>       the record, msgpack (codec.py)
    o:<kind>            ids of the kind (sorted set, equal scores: lexical order)
    w:<kind>, wo:<kind> the owner index (`owner \\0 id`) and each record's owner
    seq                 named sequences (a hash, HINCRBY)
    ids                 the counters of new ids, per prefix (each process takes ID_BLOCK at once)
    s:<name>            named ordered sets
    l:<kind>:e|i|t|n|f  change log: latest seq per record, (deleted, at) per record,
                        deletions by time, last seq, oldest valid seq
    j:<kind>, js:<kind> the journal of local kinds: ids changed, newest first, and its count
    jv:<kind>           each journaled record's stamp: the journal count at its last change
    lock                the write lock of `atomic()`

Atomicity. Every write reaches Redis in one Lua script (COMMIT below), so nothing is
ever half written. `atomic()` takes the lock (SET NX PX: a lease, so a dead holder
blocks others for LOCK_TTL at most), buffers the section's writes, reads them back
from the buffer, and commits them and releases the lock in one script that first
checks the lease is still its own. From the attempt that takes the lock to its release,
the section's round trips take a connection that does not yield to other greenlets
(`_Straight`), so the lock is held for their real duration, as the in-memory store's
lock is held for the section's own work, and the process's other sections need not
queue behind it. A write outside a section commits only while no section holds the lock. A single-record `update` outside a section is optimistic: it
reads the record, applies the change and commits only if the record is still the one
it read (compare and set in the script), retrying otherwise. Given the record the request
read moments ago (`seen`), it starts from the bytes that read brought instead of reading
again, and writes that move with the record (`also`: an age index) join the same commit:
a basket change is then one round trip.

Reading ahead. A request that knows its first reads before it runs (a ReadAhead: the
caller's basket; a customer's session, the customer, their basket and orders) has them
read in one script with the version counter, its freshness check (`read_ahead`). Its
own reads of them outside a section then answer from what came back, each once, as if
read at that moment; a write of the kind, or an `atomic()` section (which reads under
the lock), drops them. A `transaction`'s first run may start from them, and from what the
request read since (its commit checks that they still hold). A guest's basket add is two
round trips in all, and so is a customer's.

Local kinds (`local_kinds`: the catalog and the promotion rules, read on most requests
and written rarely) are kept in this process too, brought up to date from their
journal: a freshness check is one GET of the journal count, and catching up reads
only what changed. With `auto_refresh` (the default) every read checks; a Runtime
turns it off and instead tells the store the counts it read at the start of each
request (`observe`), so a request touches Redis for them once at most. Every logged
change of a local kind is journaled too, so the local copy knows the change log's
position as of its count: `last_seq` answers from it without a round trip, and
`changes_since` reads the log no further than the copy reaches, so a sync token never
promises more than the products read with it show.
"""

from __future__ import annotations

import hashlib
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from typing import Any, TypeVar

import redis
from sortedcontainers import SortedList

from .base import Change, ReadAhead, RecordNotFound, Store, StoreUnavailable, VersionConflict
from .codec import Codec
from .memory import encode_id
from .redis_connections import UNAVAILABLE, is_straight

T = TypeVar("T")

#: Lease of the write lock (ms): a holder that died blocks the others this long at most.
LOCK_TTL_MS = 5000
#: How long a writer waits for the lock before answering 503.
LOCK_WAIT_SECONDS = 5.0
#: Journal entries kept per local kind; a process further behind reloads the kind.
JOURNAL_CAP = 20_000
#: Records read or written per round trip in bulk operations.
CHUNK = 2000
#: Ids a process takes from the shared counter at once (a restart leaves the rest unused).
ID_BLOCK = 64
_NO_NUMBERS: Iterator[int] = iter(())
OPTIMISTIC_ATTEMPTS = 200
#: Optimistic runs of a `transaction` before it runs under the lock (which always goes through).
TRANSACTION_ATTEMPTS = 4

_DELETED = object()  # a buffered deletion
_NOT_AHEAD = object()  # not among the reads read ahead

# One script applies every write: checks first (the lock, then that what the writes were
# computed from is unchanged), then the ops.
# ARGV: prefix, lock token ('' = the lock must be free), release (0/1), the shared-state
# version key (bumped when a local kind changes), number of checks, checks of 4 each:
#   R kind id raw       the record is these bytes     N kind id -    the record is absent
#   J kind count -      a local kind's journal count  O kind owner ids  the owner's ids, \0-joined
#   V kind id stamp     a local record's journal count at its last change (its stamp)
#   S name size -       a named set's size            M name member 0|1  a member is in the set
#   W name bound 0|1    whether a set's size is at most `bound`
#   K kind bound 0|1    whether a kind counts at most `bound`  X kind id 0|1  whether the id is stored
# then ops:
#   P kind id raw owner journal | D kind id journal | A name member | R name member
#   L kind id deleted at seq journal (seq '': the next, numbered here in commit order)
COMMIT = """
local P = ARGV[1]
local token = ARGV[2]
local lock = redis.call('GET', P .. 'lock')
if token == '' then
  if lock then return 'BUSY' end
elseif lock ~= token then
  return 'LOST'
end
local function holds(check, a, b, c)
  if check == 'R' then return redis.call('GET', P .. 'r:' .. a .. ':' .. b) == c end
  if check == 'N' then return redis.call('EXISTS', P .. 'r:' .. a .. ':' .. b) == 0 end
  if check == 'J' then return (redis.call('GET', P .. 'js:' .. a) or '0') == b end
  if check == 'V' then return (redis.call('HGET', P .. 'jv:' .. a, b) or '0') == c end
  if check == 'S' then return redis.call('ZCARD', P .. 's:' .. a) == tonumber(b) end
  if check == 'K' then return (redis.call('ZCARD', P .. 'o:' .. a) <= tonumber(b)) == (c == '1') end
  if check == 'X' then return (redis.call('ZSCORE', P .. 'o:' .. a, b) ~= false) == (c == '1') end
  if check == 'W' then return (redis.call('ZCARD', P .. 's:' .. a) <= tonumber(b)) == (c == '1') end
  if check == 'M' then return (redis.call('ZSCORE', P .. 's:' .. a, b) ~= false) == (c == '1') end
  if check == 'O' then
    local ids = {}
    for n, member in ipairs(redis.call('ZRANGEBYLEX', P .. 'w:' .. a, '[' .. b .. '\\0', '(' .. b .. '\\1')) do
      ids[n] = string.sub(member, #b + 2)
    end
    return table.concat(ids, '\\0') == c
  end
  error('unknown check ' .. tostring(check))
end
local i = 6
for _ = 1, tonumber(ARGV[5]) do
  if not holds(ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]) then return 'CONFLICT' end
  i = i + 4
end
local function journal(kind, id)
  redis.call('INCR', ARGV[4])
  redis.call('HSET', P .. 'jv:' .. kind, id, redis.call('INCR', P .. 'js:' .. kind))
  redis.call('LPUSH', P .. 'j:' .. kind, id)
  redis.call('LTRIM', P .. 'j:' .. kind, 0, JOURNAL_LAST)
end
local function unowned(kind, id)
  local old = redis.call('HGET', P .. 'wo:' .. kind, id)
  if old then
    redis.call('ZREM', P .. 'w:' .. kind, old .. '\\0' .. id)
    redis.call('HDEL', P .. 'wo:' .. kind, id)
  end
  return old
end
while i <= #ARGV do
  local op = ARGV[i]
  if op == 'P' then
    local kind, id, owner = ARGV[i + 1], ARGV[i + 2], ARGV[i + 4]
    local key = P .. 'r:' .. kind .. ':' .. id
    if redis.call('EXISTS', key) == 0 then redis.call('ZADD', P .. 'o:' .. kind, 0, id) end
    redis.call('SET', key, ARGV[i + 3])
    local old = redis.call('HGET', P .. 'wo:' .. kind, id)
    if (old or '') ~= owner then
      unowned(kind, id)
      if owner ~= '' then
        redis.call('ZADD', P .. 'w:' .. kind, 0, owner .. '\\0' .. id)
        redis.call('HSET', P .. 'wo:' .. kind, id, owner)
      end
    end
    if ARGV[i + 5] == '1' then journal(kind, id) end
    i = i + 6
  elseif op == 'D' then
    local kind, id = ARGV[i + 1], ARGV[i + 2]
    if redis.call('DEL', P .. 'r:' .. kind .. ':' .. id) == 1 then
      redis.call('ZREM', P .. 'o:' .. kind, id)
      unowned(kind, id)
      if ARGV[i + 3] == '1' then journal(kind, id) end
    end
    i = i + 4
  elseif op == 'A' then
    redis.call('ZADD', P .. 's:' .. ARGV[i + 1], 0, ARGV[i + 2])
    i = i + 3
  elseif op == 'R' then
    redis.call('ZREM', P .. 's:' .. ARGV[i + 1], ARGV[i + 2])
    i = i + 3
  elseif op == 'L' then
    local base = P .. 'l:' .. ARGV[i + 1]
    local id, deleted, at, seq = ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5]
    if seq == '' then seq = redis.call('INCR', base .. ':n') else redis.call('SET', base .. ':n', seq) end
    redis.call('ZADD', base .. ':e', seq, id)
    redis.call('HSET', base .. ':i', id, deleted .. '|' .. at)
    if deleted == '1' then redis.call('ZADD', base .. ':t', at, id) else redis.call('ZREM', base .. ':t', id) end
    if ARGV[i + 6] == '1' then journal(ARGV[i + 1], id) end
    i = i + 7
  else
    return redis.error_reply('unknown op ' .. tostring(op))
  end
end
if ARGV[3] == '1' then redis.call('DEL', P .. 'lock') end
return 'OK'
""".replace("JOURNAL_LAST", str(JOURNAL_CAP - 1))

# ARGV: prefix, token, ttl ms, local kinds...: {1, journal counts...} when taken, else 0.
ACQUIRE = """
if not redis.call('SET', ARGV[1] .. 'lock', ARGV[2], 'NX', 'PX', ARGV[3]) then return 0 end
local out = {1}
for i = 4, #ARGV do out[#out + 1] = redis.call('GET', ARGV[1] .. 'js:' .. ARGV[i]) or '0' end
return out
"""

# ARGV: prefix, token: release the lock only if it is still ours.
RELEASE = """
if redis.call('GET', ARGV[1] .. 'lock') == ARGV[2] then return redis.call('DEL', ARGV[1] .. 'lock') end
return 0
"""

# ARGV: prefix, kind, since: {count, log seq} when nothing changed, {count, log seq, 'reload'}
# when the journal no longer reaches back to `since`, else {count, log seq, 'delta', id, raw|nil, stamp, ...}.
# (Every logged change of a local kind is journaled: the log position is current with the count.)
CATCH_UP = """
local P, kind, since = ARGV[1], ARGV[2], tonumber(ARGV[3])
local count = tonumber(redis.call('GET', P .. 'js:' .. kind) or '0')
local seq = tonumber(redis.call('GET', P .. 'l:' .. kind .. ':n') or '0')
if count == since then return {count, seq} end
local behind = count - since
if behind < 0 or behind > tonumber(redis.call('LLEN', P .. 'j:' .. kind)) then return {count, seq, 'reload'} end
local out = {count, seq, 'delta'}
local seen = {}
for _, id in ipairs(redis.call('LRANGE', P .. 'j:' .. kind, 0, behind - 1)) do
  if not seen[id] then
    seen[id] = true
    out[#out + 1] = id
    out[#out + 1] = redis.call('GET', P .. 'r:' .. kind .. ':' .. id) or false
    out[#out + 1] = redis.call('HGET', P .. 'jv:' .. kind, id) or '0'
  end
end
return out
"""

# A Lua function: the ids of `kind` that `owner` owns, in id order, each followed by its record.
OWNED = """
local function owned(P, kind, owner)
  local out = {}
  for _, member in ipairs(redis.call('ZRANGEBYLEX', P .. 'w:' .. kind, '[' .. owner .. '\\0', '(' .. owner .. '\\1')) do
    local id = string.sub(member, #owner + 2)
    out[#out + 1] = id
    out[#out + 1] = redis.call('GET', P .. 'r:' .. kind .. ':' .. id) or false
  end
  return out
end
"""

# ARGV: prefix, kind, owner: {id, raw, ...} in one round trip.
BY_OWNER = OWNED + "return owned(ARGV[1], ARGV[2], ARGV[3])"

# A ReadAhead with the version counter, read first. ARGV: prefix, version key, owner, the kind and
# id of the record that names the owner ('' '' when `owner` is given), the numbers of `records`
# and of `owned` kinds, those kinds, then kind, id of each `by_id` record. Returns {version,
# owner, that record, {record of each `records` kind}, {{id, raw, ...} of each `owned` kind},
# {each `by_id` record}}.
READ_AHEAD = OWNED + """
local P = ARGV[1]
local version = redis.call('GET', ARGV[2]) or false
local owner, first = ARGV[3], false
if ARGV[4] ~= '' then
  first = redis.call('GET', P .. 'r:' .. ARGV[4] .. ':' .. ARGV[5]) or false
  owner = first and redis.call('HGET', P .. 'wo:' .. ARGV[4], ARGV[5]) or ''
end
local records, found, named = {}, {}, {}
local n, m = tonumber(ARGV[6]), tonumber(ARGV[7])
if owner ~= '' then
  for i = 8, 7 + n do records[#records + 1] = redis.call('GET', P .. 'r:' .. ARGV[i] .. ':' .. owner) or false end
  for i = 8 + n, 7 + n + m do found[#found + 1] = owned(P, ARGV[i], owner) end
end
for i = 8 + n + m, #ARGV, 2 do named[#named + 1] = redis.call('GET', P .. 'r:' .. ARGV[i] .. ':' .. ARGV[i + 1]) or false end
return {version, owner, first, records, found, named}
"""

# ARGV: prefix, kind, after, up to (a seq or '+inf'), limit: {id, seq, 'deleted|at', ...} in seq order.
CHANGES = """
local base = ARGV[1] .. 'l:' .. ARGV[2]
local entries = redis.call('ZRANGEBYSCORE', base .. ':e', '(' .. ARGV[3], ARGV[4], 'WITHSCORES', 'LIMIT', 0, ARGV[5])
local out = {}
for n = 1, #entries, 2 do
  out[#out + 1] = entries[n]
  out[#out + 1] = entries[n + 1]
  out[#out + 1] = redis.call('HGET', base .. ':i', entries[n]) or '0|0'
end
return out
"""

# ARGV: prefix, kind, before: forget deletions older than `before`; returns how many.
PURGE = """
local base = ARGV[1] .. 'l:' .. ARGV[2]
local doomed = redis.call('ZRANGEBYSCORE', base .. ':t', '-inf', '(' .. ARGV[3])
local floor = tonumber(redis.call('GET', base .. ':f') or '0')
for _, id in ipairs(doomed) do
  local seq = tonumber(redis.call('ZSCORE', base .. ':e', id))
  if seq and seq > floor then floor = seq end
  redis.call('ZREM', base .. ':e', id)
  redis.call('HDEL', base .. ':i', id)
  redis.call('ZREM', base .. ':t', id)
end
if #doomed > 0 then redis.call('SET', base .. ':f', floor) end
return #doomed
"""

def feistel_id(seed: int, number: int) -> int:
    """A bijection of 60-bit numbers keyed by the seed: counter values become ids that look
    random, are the same for the same seed and call order, and never repeat."""
    left, right = number >> 30, number & (2**30 - 1)
    for round_number in range(4):
        digest = hashlib.blake2b(f"{seed}:{round_number}:{right}".encode(), digest_size=4).digest()
        left, right = right, left ^ (int.from_bytes(digest, "big") & (2**30 - 1))
    return (left << 30) | right


class _Section:
    """The writes of one `atomic()` block or `transaction`, buffered until it commits."""

    def __init__(self, token: str, *, optimistic: bool = False) -> None:
        self.token = token
        self.records: dict[str, dict[str, Any]] = {}  # kind → id → record or _DELETED
        self.sets: dict[str, dict[str, bool]] = {}  # name → member → present
        self.ops: list[str] = []
        self.log_seqs: dict[str, int] = {}
        self.logged: set[str] = set()  # kinds an optimistic section logged changes of
        self.local_written: set[str] = set()
        #: An optimistic section (no lock) keeps what it read, as COMMIT's checks: (type, a, b) → c.
        self.reads: dict[tuple[str, str, str], Any] | None = {} if optimistic else None
        self.needs_lock = False  # it made a read its commit cannot check (even if the body caught _NeedsLock)
        self.torn = False  # two reads of one thing disagreed (one kept from before the run): it cannot commit
        self.first_run = True  # an optimistic run may start from what its request read last
        self.seen: dict[str, dict[tuple[str, str], Any]] = {"records": {}, "owned": {}}  # what it read: read again, the same

    def read(self, check: str, a: str, b: str, c: Any = "") -> None:
        """What an optimistic section's commit must find unchanged (the first read counts; a
        later one that disagrees, which the body may have used instead, tears the run)."""
        if self.reads is not None and self.reads.setdefault((check, a, b), c) != c:
            self.torn = True

    def checks(self) -> list[Any]:
        return [item for (check, a, b), c in (self.reads or {}).items() for item in (check, a, b, c)]


class _NeedsLock(Exception):
    """An optimistic section made a call its commit cannot check: it runs again under the lock."""


class _AheadReads:
    """What a ReadAhead brought for one request: raw records by (kind, id), and {id, raw, ...}
    by (kind, owner). Each is taken once; a write of its kind by the request drops it.

    What the request has read outside sections since (`recent`, the same two tables) may
    start its optimistic sections' first runs: their commits check it still holds."""

    def __init__(self, records: dict[tuple[str, str], bytes | None], owned: dict[tuple[str, str], list]) -> None:
        self.records, self.owned = records, owned
        self.recent: dict[str, dict[tuple[str, str], Any]] = {"records": {}, "owned": {}}

    def take(self, table: str, kind: str, key: str) -> Any:
        return getattr(self, table).pop((kind, key), _NOT_AHEAD)

    def forget(self, kinds: Iterable[str]) -> None:
        kinds = set(kinds)
        for table in (self.records, self.owned, *self.recent.values()):
            for key in [key for key in table if key[0] in kinds]:
                del table[key]


class _LocalKind:
    """This process's copy of a local kind: its records, ids in order, and the journal count it reflects."""

    def __init__(self) -> None:
        self.records: dict[str, Any] = {}
        self.ids: SortedList = SortedList()
        self.count = -1  # journal count applied; -1: never loaded
        self.log_seq = 0  # the change log's position at that count
        self.known = 0  # the latest journal count seen in Redis
        self.dirty = True  # check Redis before the next read
        #: Each record's stamp: the journal count of its last change (0: none since it was loaded
        #: in bulk). A transaction that read it checks only that it is still the record's.
        self.stamps: dict[str, int] = {}

    def apply(self, record_id: str, record: Any | None, stamp: int) -> None:
        self.stamps[record_id] = stamp
        if record is None:
            if self.records.pop(record_id, None) is not None:
                self.ids.remove(record_id)
        else:
            if record_id not in self.records:
                self.ids.add(record_id)
            self.records[record_id] = record


class RedisStore(Store):
    def __init__(self, client: redis.Redis, codec: Codec, generation: str, seed: int, *,
                 namespace: str = "alegra-sim", local_kinds: Iterable[str] = (), auto_refresh: bool = True,
                 straight: redis.Redis | None = None) -> None:
        """`straight`: a client of the same Redis made by `connect(url, straight=True)`, for the
        round trips made while this process holds the lock (`client`); `client` serves them without it."""
        self._cooperative = client
        self._straight = straight if straight is not None and is_straight(straight) else None
        self._straight_works = True  # see `atomic`
        self.codec = codec
        self.generation = generation
        self.seed = seed
        self.prefix = f"{namespace}:g:{generation}:"
        #: Counts every change a request of another process must catch up with (see shared/runtime.py).
        self.version_key = f"{namespace}:version"
        self.auto_refresh = auto_refresh
        self._process_lock = threading.RLock()  # sections that yield queue here, not by polling Redis (see `atomic`)
        self._local_lock = threading.RLock()
        self._sections = threading.local()
        self._local = {kind: _LocalKind() for kind in local_kinds}
        self._rngs: dict[str, random.Random] = {}
        self._id_numbers: dict[str, Iterator[int]] = {}  # per id prefix: what is left of its block
        self._commit = self._script(COMMIT)
        self._acquire = self._script(ACQUIRE)
        self._release = self._script(RELEASE)
        self._catch_up = self._script(CATCH_UP)
        self._purge = self._script(PURGE)
        self._by_owner = self._script(BY_OWNER)
        self._read_ahead = self._script(READ_AHEAD)
        self._changes = self._script(CHANGES)
        self._seen = threading.local()  # per greenlet: what it read last, with the bytes read
        self._ahead = threading.local()  # per greenlet: what its request's ReadAhead brought

    @property
    def client(self) -> redis.Redis:
        """The client of this greenlet's round trips: the straight one while it takes and holds
        the lock (a section's round trips then hold the lock for their real duration)."""
        return self._straight if getattr(self._sections, "straight", False) else self._cooperative

    def _goes_straight(self) -> bool:
        """Whether a section taking the lock now goes straight (see `atomic`)."""
        return self._straight is not None and self._straight_works

    def _script(self, source: str) -> Callable[..., Any]:
        script = self._cooperative.register_script(source)
        return lambda args: script(args=args, client=self.client)

    # -- keys --------------------------------------------------------------------------
    def _record_key(self, kind: str, record_id: str) -> str:
        return f"{self.prefix}r:{kind}:{record_id}"

    def _section(self) -> _Section | None:
        return getattr(self._sections, "current", None)

    # -- records -------------------------------------------------------------------------
    def get(self, kind: str, record_id: str) -> Any | None:
        section = self._section()
        if section is not None:
            buffered = section.records.get(kind, {}).get(record_id)
            if buffered is not None:
                return None if buffered is _DELETED else buffered
        local = self._local.get(kind)
        if local is not None:
            with self._local_lock:
                self._refresh(kind, local)
                self._read_local(section, kind, local, (record_id,))
                return local.records.get(record_id)
        raw = self._known("records", section, kind, record_id)
        if raw is _NOT_AHEAD:
            raw = self.client.get(self._record_key(kind, record_id))
        self._keep_read("records", section, kind, record_id, raw)
        if section is not None:
            self._read_record(section, kind, record_id, raw)
        if raw is None:
            return None
        record = self.codec.decode(kind, raw)
        if section is None:
            self._remember(kind, [record_id], [raw], [record])
        return record

    def get_many(self, kind: str, record_ids: list[str]) -> list[Any | None]:
        buffered = self._buffered(kind)
        found = self._get_many(kind, record_ids)
        if buffered:
            for n, record_id in enumerate(record_ids):
                record = buffered.get(record_id)
                if record is not None:
                    found[n] = None if record is _DELETED else record
        return found

    def _get_many(self, kind: str, ids: list[str]) -> list[Any]:
        local = self._local.get(kind)
        section = self._section()
        if local is not None:
            with self._local_lock:
                self._refresh(kind, local)
                self._read_local(section, kind, local, ids)
                return [local.records.get(record_id) for record_id in ids]
        found: list[Any] = []
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            raws = self.client.mget([self._record_key(kind, record_id) for record_id in chunk])
            if section is not None:
                for record_id, raw in zip(chunk, raws):
                    self._read_record(section, kind, record_id, raw)
            found.extend(self.codec.decode_many(kind, raws))
        return found

    @staticmethod
    def _read_record(section: _Section, kind: str, record_id: str, raw: bytes | None) -> None:
        if raw is None:
            section.read("N", kind, record_id)
        else:
            section.read("R", kind, record_id, raw)

    @staticmethod
    def _read_local(section: _Section | None, kind: str, local: _LocalKind, ids: Iterable[str] | None = None) -> None:
        """A read of a local kind's copy: an optimistic section's commit checks that it is still
        current, record by record (`ids`: a change of another product does not matter), or
        the whole kind's."""
        if section is None:
            return
        if ids is None:
            section.read("J", kind, str(local.count))
            return
        for record_id in ids:
            if record_id in local.records:
                section.read("V", kind, record_id, str(local.stamps.get(record_id, 0)))
            else:  # absent: that it still is (a copy loaded after a deletion has no stamp of it)
                section.read("X", kind, record_id, "0")

    def _lock_needed(self) -> None:
        """Raise for a read an optimistic section's commit cannot check (it runs under the lock)."""
        section = self._section()
        if section is not None and section.reads is not None:
            section.needs_lock = True
            raise _NeedsLock

    def put(self, kind: str, record: Any) -> None:
        self._write(kind, record.id, record)

    def delete(self, kind: str, record_id: str) -> Any | None:
        if self._section() is not None:
            previous = self.get(kind, record_id)
            if previous is not None:
                self._write(kind, record_id, _DELETED)
            return previous
        return self._optimistic(kind, record_id, lambda current: (_DELETED, current), missing_ok=True)

    def _write(self, kind: str, record_id: str, record: Any) -> None:
        section = self._section()
        ops = self._ops(kind, record_id, record)
        if section is None:
            self._commit_now(ops, kinds=(kind,))
            return
        section.records.setdefault(kind, {})[record_id] = record
        section.ops.extend(ops)
        if kind in self._local:
            section.local_written.add(kind)

    def _ops(self, kind: str, record_id: str, record: Any) -> list[str]:
        local = kind in self._local
        journal = "1" if local else "0"
        if record is _DELETED:
            return ["D", kind, record_id, journal]
        owner = getattr(record, "owner_id", None)
        # A locally kept kind is read back through the worker's copy, never by its bytes: not kept.
        return ["P", kind, record_id, self.codec.encode(kind, record, keep=not local), owner or "", journal]

    def load(self, kind: str, records: Iterable[Any]) -> None:
        """Bulk insert (seeding): pipelined in chunks, no change-log entries. Local copies of
        the kind reload afterwards."""
        encode = self.codec.encode
        batch: list[Any] = []

        def flush() -> None:
            pipe = self.client.pipeline(transaction=False)
            pipe.mset({self._record_key(kind, r.id): encode(kind, r, keep=False) for r in batch})
            pipe.zadd(f"{self.prefix}o:{kind}", {r.id: 0 for r in batch})
            owned = {r.id: r.owner_id for r in batch if getattr(r, "owner_id", None)}
            if owned:
                pipe.zadd(f"{self.prefix}w:{kind}", {f"{owner}\0{record_id}": 0 for record_id, owner in owned.items()})
                pipe.hset(f"{self.prefix}wo:{kind}", mapping=owned)
            pipe.execute()
            batch.clear()

        for record in records:
            batch.append(record)
            if len(batch) >= CHUNK:
                flush()
        if batch:
            flush()
        if kind in self._local:
            # Past the journal's reach: every process reloads the kind on its next read.
            self.client.incrby(f"{self.prefix}js:{kind}", JOURNAL_CAP + 1)
            self.client.incr(self.version_key)
            self._local[kind].dirty = True

    def count(self, kind: str) -> int:
        section = self._section()
        buffered = section.records.get(kind) if section is not None else None
        local = self._local.get(kind)
        if not buffered and local is not None:
            with self._local_lock:
                self._refresh(kind, local)
                self._read_local(section, kind, local)
                return len(local.records)
        self._lock_needed()
        return self._counts(kind, buffered)[0]

    def count_at_most(self, kind: str, limit: int) -> bool:
        section = self._section()
        if section is None or section.reads is None or kind in self._local:
            return super().count_at_most(kind, limit)
        total, stored = self._counts(kind, section.records.get(kind))
        # checked as asked: racing writes of the kind change the count, rarely the answer
        section.read("K", kind, str(limit - (total - stored)), "1" if total <= limit else "0")
        return total <= limit

    def _counts(self, kind: str, buffered: dict[str, Any] | None) -> tuple[int, int]:
        """How many records of a (shared) kind this greenlet sees, and how many are stored."""
        if not buffered:
            stored = self.client.zcard(f"{self.prefix}o:{kind}")
            return stored, stored
        # Buffered writes: count the stored ids, then what the buffer adds or takes away.
        ids = list(buffered)
        pipe = self.client.pipeline(transaction=True)
        pipe.zcard(f"{self.prefix}o:{kind}")
        for record_id in ids:
            pipe.zscore(f"{self.prefix}o:{kind}", record_id)
        stored, *scores = pipe.execute()
        total = stored
        section = self._section()
        for record_id, score in zip(ids, scores):
            exists, wanted = score is not None, buffered[record_id] is not _DELETED
            if section is not None:
                section.read("X", kind, record_id, "1" if exists else "0")
            total += (wanted and not exists) - (exists and not wanted)
        return total, stored

    def values(self, kind: str) -> list[Any]:
        local = self._local.get(kind)
        if local is not None and not self._buffered(kind):
            with self._local_lock:
                self._refresh(kind, local)
                self._read_local(self._section(), kind, local)
                return [local.records[record_id] for record_id in local.ids]
        ids = self._stored_ids(kind, None, None)
        return self._merged(kind, ids, self._get_many(kind, ids))

    def _stored_ids(self, kind: str, after: str | None, limit: int | None, offset: int = 0) -> list[str]:
        local = self._local.get(kind)
        if local is not None:
            with self._local_lock:
                self._refresh(kind, local)
                self._read_local(self._section(), kind, local)
                start = (0 if after is None else local.ids.bisect_right(after)) + offset
                return list(local.ids.islice(start, None if limit is None else start + limit))
        self._lock_needed()
        low = "-" if after is None else f"({after}"
        if limit is None:
            ids = self.client.zrangebylex(f"{self.prefix}o:{kind}", low, "+")
            return [i.decode() for i in ids[offset:]]
        ids = self.client.zrangebylex(f"{self.prefix}o:{kind}", low, "+", start=offset, num=limit)
        return [i.decode() for i in ids]

    def _buffered(self, kind: str) -> dict[str, Any]:
        section = self._section()
        return section.records.get(kind, {}) if section is not None else {}

    def _merged(self, kind: str, ids: list[str], records: list[Any], keep: Callable[[Any], bool] | None = None) -> list[Any]:
        """Stored records (in id order) with the section's buffered writes laid over them."""
        buffered = self._buffered(kind)
        found = {record_id: record for record_id, record in zip(ids, records) if record is not None}
        if buffered:
            for record_id, record in buffered.items():
                if record is _DELETED or (keep is not None and not keep(record)):
                    found.pop(record_id, None)
                else:
                    found[record_id] = record
        return [found[record_id] for record_id in sorted(found)]

    def ids_after(self, kind: str, after: str | None, limit: int, offset: int = 0) -> list[str]:
        buffered = self._buffered(kind)
        if not buffered:
            return self._stored_ids(kind, after, limit, offset)
        deleted = sum(record is _DELETED for record in buffered.values())
        ids = set(self._stored_ids(kind, after, offset + limit + deleted))
        for record_id, record in buffered.items():
            if record is _DELETED:
                ids.discard(record_id)
            elif after is None or record_id > after:
                ids.add(record_id)
        return sorted(ids)[offset : offset + limit]

    def by_owner(self, kind: str, owner_id: str) -> list[Any]:
        keep = lambda r: getattr(r, "owner_id", None) == owner_id  # noqa: E731
        if kind in self._local:
            self._lock_needed()
            members = self.client.zrangebylex(f"{self.prefix}w:{kind}", f"[{owner_id}\0", f"({owner_id}\x01")
            ids = [member.decode().partition("\0")[2] for member in members]
            return self._merged(kind, ids, self._get_many(kind, ids), keep=keep)
        section = self._section()
        pairs = self._known("owned", section, kind, owner_id)
        if pairs is _NOT_AHEAD:
            pairs = self._by_owner(args=[self.prefix, kind, owner_id])
        self._keep_read("owned", section, kind, owner_id, pairs)
        ids, raws = [raw_id.decode() for raw_id in pairs[0::2]], pairs[1::2]
        records = self.codec.decode_many(kind, raws)
        if section is None:
            self._remember(kind, ids, raws, records)
        else:
            section.read("O", kind, owner_id, "\0".join(ids))
            for record_id, raw in zip(ids, raws):
                self._read_record(section, kind, record_id, raw)
        return self._merged(kind, ids, records, keep=keep)

    def _remember(self, kind: str, ids: list[str], raws: list[bytes | None], records: list[Any]) -> None:
        """Keep what this greenlet just read with the bytes it came from, for an update of it
        (`seen`) to compare and set against them without reading it again."""
        self._seen.last = {(kind, record_id): (record, raw) for record_id, raw, record in zip(ids, raws, records) if record is not None}

    def _recalled(self, kind: str, record_id: str, seen: Any) -> bytes | None:
        """The bytes `seen` was read from, if it is what this greenlet read last."""
        entry = getattr(self._seen, "last", {}).get((kind, record_id))
        return entry[1] if entry is not None and entry[0] is seen else None

    def update(self, kind, record_id, change, expected_version=None, *, seen=None, also=None):
        if self._section() is not None:
            current = self.get(kind, record_id)
            updated = self._apply(kind, record_id, current, change, expected_version)
            if also is not None:
                also(current, updated)
            return updated

        def step(current):
            updated = self._apply(kind, record_id, current, change, expected_version, buffer=False)
            return updated, updated

        return self._optimistic(kind, record_id, step, seen=seen, also=also)

    def _optimistic(self, kind: str, record_id: str, step: Callable[[Any], tuple[Any, Any]], missing_ok: bool = False,
                    seen: Any = None, also: Callable[[Any, Any], object] | None = None) -> Any:
        """Read one record, compute its successor (`step` → (new record or _DELETED, answer)),
        and write it, with what `also(before, after)` writes, only if the record is still the
        one read; else read again. The first try starts from `seen` when this greenlet read
        it last: the bytes it was read from are what the write compares against."""
        key = self._record_key(kind, record_id)
        raw = None if seen is None else self._recalled(kind, record_id, seen)
        current = seen if raw is not None else None
        for attempt in range(OPTIMISTIC_ATTEMPTS):
            if attempt or raw is None:
                raw = self.client.get(key)
                current = None if raw is None else self.codec.decode(kind, raw)
            if current is None and missing_ok:
                return None
            new, answer = step(current)
            ops, kinds = self._ops(kind, record_id, new), {kind}
            if also is not None:
                section = self._buffering(lambda: also(current, new))
                ops.extend(section.ops)
                kinds |= section.records.keys() | section.local_written
            outcome = self._try_commit(ops, token="", checks=["R", kind, record_id, raw])
            if outcome == "OK":
                self._written(kinds)
                return answer
            self._wait_out(outcome)
            if outcome == "CONFLICT":  # racers on one record: spread their retries out
                time.sleep(random.uniform(0, min(0.02, 0.0005 * 2 ** min(attempt, 6))))
        raise StoreUnavailable(f"{kind} {record_id} changed on every one of {OPTIMISTIC_ATTEMPTS} attempts")

    def _buffering(self, write: Callable[[], object]) -> _Section:
        """The writes `write` makes, buffered and not committed (no lock taken: they join a
        compare and set). Reads in it are not checked: it should only write."""
        section = self._sections.current = _Section(token="")
        try:
            write()
        finally:
            self._sections.current = None
        return section

    def _apply(self, kind, record_id, current, change, expected_version, buffer=True):
        if current is None:
            raise RecordNotFound(kind, record_id)
        if expected_version is not None and current.version != expected_version:
            raise VersionConflict(kind, record_id, expected_version, current.version)
        updated = change(current)
        if buffer:
            self._write(kind, record_id, updated)
        return updated

    @contextmanager
    def atomic(self) -> Iterator[None]:
        if self._section() is not None:
            yield  # re-entrant: the outermost block commits
            return
        self.forget_ahead()  # the section reads under the lock: what was read ahead is older
        # Straight from the attempt that takes the lock (its answer is not left waiting for other
        # greenlets either) to the release, a section lets no other greenlet of this process
        # run: they need not queue behind it, and each takes the lock as soon as it runs (a
        # queue would hand the turn on once per pass of the event loop). The pauses between
        # attempts sleep cooperatively. After a round trip failed, cooperatively and queued
        # until one succeeds: a Redis that hangs would otherwise hold the whole process, a
        # second for each waiter.
        with nullcontext() if self._goes_straight() else self._process_lock:
            token = uuid.uuid4().hex
            try:
                self._take_lock(token)
                section = self._sections.current = _Section(token)
                try:
                    yield
                except BaseException:
                    self._sections.current = None
                    self._safely_release(token)
                    raise
                self._sections.current = None
                outcome = self._try_commit(section.ops, token=token, release=True)
            except UNAVAILABLE:
                if getattr(self._sections, "straight", False):
                    self._straight_works = False
                raise
            finally:
                self._sections.straight = False
            self._straight_works = True
            if outcome != "OK":
                raise StoreUnavailable("the store lock expired before the change was written; nothing was written")
            self._written(section.records.keys() | section.local_written)

    def transaction(self, body: Callable[[], T]) -> T:
        """`body()` without the lock: its reads are kept and its writes buffered, and one
        script commits the writes only if every read still holds and no section holds the
        lock; else `body` runs again. A failure it raises stands only once its reads are
        checked the same way. After TRANSACTION_ATTEMPTS conflicts, or at a read the commit
        cannot check (a scan, the change log's contents), it runs under the lock. Sequence
        numbers it draws are spent even when it runs again (gaps); each resource's numbers
        still follow its changes, as two runs that changed one resource conflict."""
        if self._section() is not None:
            return body()  # joins the enclosing section
        for attempt in range(TRANSACTION_ATTEMPTS):
            section = self._sections.current = _Section("", optimistic=True)
            section.first_run = attempt == 0  # later runs read anew what the request read before
            failure = None
            try:
                result = body()
            except UNAVAILABLE + (StoreUnavailable,):
                raise
            except Exception as error:  # _NeedsLock too: `needs_lock` tells it, even if the body caught it
                failure = error
            finally:
                self._sections.current = None
            if section.needs_lock:
                break
            if self._settle(section, [] if failure else section.ops, attempt):
                if failure is not None:
                    raise failure  # it read what is still so: the failure stands
                return result
        with self.atomic():
            return body()

    def _settle(self, section: _Section, ops: list[str], attempt: int) -> bool:
        """Commit an optimistic section's `ops` if its reads still hold, once no section holds
        the lock; False when a read no longer holds (nothing written: run it again)."""
        if section.torn:
            return False  # no moment holds both of what it read: run it again, reading anew
        checks = section.checks()
        if not checks and not ops:
            return True
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while True:
            outcome = self._try_commit(ops, token="", checks=checks)
            if outcome == "OK":
                self._written(section.records.keys() | section.local_written)
                return True
            if outcome == "CONFLICT":
                for check, kind, _ in section.reads:
                    if check in ("J", "V") or (check == "X" and kind in self._local):  # the local copy catches up before the next run reads it
                        self._local[kind].dirty = True
                time.sleep(random.uniform(0, 0.0005 * 2**attempt))  # racers: spread the runs out
                return False
            if time.monotonic() > deadline:
                raise StoreUnavailable(f"the store stayed locked for {LOCK_WAIT_SECONDS:g} s")
            self._wait_out(outcome)

    def _take_lock(self, token: str) -> None:
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        pause = 0.001
        kinds = list(self._local)
        while True:
            self._sections.straight = self._goes_straight()  # see `atomic`
            taken = self._acquire(args=[self.prefix, token, LOCK_TTL_MS, *kinds])
            if taken:
                self._observe_counts(dict(zip(kinds, (int(count) for count in taken[1:]))))
                return
            if time.monotonic() > deadline:
                raise StoreUnavailable(f"the store stayed locked for {LOCK_WAIT_SECONDS:g} s")
            time.sleep(pause * (0.5 + random.random()))
            pause = min(pause * 2, 0.005)  # held a moment (straight): look again soon

    def _safely_release(self, token: str) -> None:
        try:
            self._release(args=[self.prefix, token])
        except UNAVAILABLE:
            pass  # the lease ends by itself

    def _try_commit(self, ops: list, *, token: str, release: bool = False, checks: list | None = None) -> str:
        checks = checks or []
        outcome = self._commit(args=[self.prefix, token, "1" if release else "0", self.version_key, len(checks) // 4, *checks, *ops])
        return outcome.decode() if isinstance(outcome, bytes) else outcome

    def _commit_now(self, ops: list, kinds: Iterable[str]) -> None:
        """Commit writes made outside a section: once no section holds the lock."""
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while True:
            outcome = self._try_commit(ops, token="")
            if outcome == "OK":
                self._written(kinds)
                return
            if time.monotonic() > deadline:
                raise StoreUnavailable(f"the store stayed locked for {LOCK_WAIT_SECONDS:g} s")
            self._wait_out(outcome)

    def _wait_out(self, outcome: str) -> None:
        if outcome == "BUSY":
            # A section holds the lock for its round trips only (straight): a moment. Not the
            # process lock, which would queue this write behind every section this process has
            # waiting, when the holder is most often another process.
            time.sleep(0.001 * (0.5 + random.random()))

    def _written(self, kinds: Iterable[str]) -> None:
        """This greenlet wrote records of these kinds: local copies check Redis before their next
        read, and what its request read ahead of them is dropped."""
        reads = getattr(self._ahead, "reads", None)
        if reads is not None:
            reads.forget(kinds)
        for kind in kinds:
            local = self._local.get(kind)
            if local is not None:
                local.dirty = True

    # -- ids and randomness ----------------------------------------------------------------
    def new_id(self, prefix: str) -> str:
        # Numbers come from the shared counter ID_BLOCK at a time: a new record costs no round
        # trip of its own, ids stay unique across processes, and one process still draws 1, 2, 3…
        number = next(self._id_numbers.get(prefix, _NO_NUMBERS), None)
        if number is None:
            end = self.client.hincrby(f"{self.prefix}ids", prefix, ID_BLOCK)
            numbers = self._id_numbers[prefix] = iter(range(end - ID_BLOCK + 1, end + 1))
            number = next(numbers)
        return encode_id(prefix, feistel_id(self.seed, number))

    def rng(self, stream: str) -> random.Random:
        """A stream of this process: each process claims its own index of the stream, so two
        workers never draw the same numbers (two churned products, two SKUs)."""
        found = self._rngs.get(stream)
        if found is None:
            claim = self.client.hincrby(f"{self.prefix}rng", stream, 1)
            found = self._rngs.setdefault(stream, random.Random(f"{self.seed}:{stream}:{claim}"))
        return found

    def next_seq(self, name: str) -> int:
        return self.client.hincrby(f"{self.prefix}seq", name, 1)

    # -- named ordered sets ------------------------------------------------------------------
    def set_add(self, name: str, member: str) -> None:
        self._set_write(name, member, True)

    def set_remove(self, name: str, member: str) -> None:
        self._set_write(name, member, False)

    def _set_write(self, name: str, member: str, present: bool) -> None:
        ops = ["A" if present else "R", name, member]
        section = self._section()
        if section is None:
            self._commit_now(ops, kinds=())
            return
        section.sets.setdefault(name, {})[member] = present
        section.ops.extend(ops)

    def set_size(self, name: str) -> int:
        size, stored = self._set_sizes(name)
        section = self._section()
        if section is not None:
            section.read("S", name, str(stored))
        return size

    def set_size_at_most(self, name: str, limit: int) -> bool:
        size, stored = self._set_sizes(name)
        section = self._section()
        if section is not None:  # checked as asked: racing adds elsewhere change the size, rarely the answer
            section.read("W", name, str(limit - (size - stored)), "1" if size <= limit else "0")
        return size <= limit

    def _set_sizes(self, name: str) -> tuple[int, int]:
        """The set's size as this greenlet sees it, and as stored."""
        key = f"{self.prefix}s:{name}"
        section = self._section()
        buffered = section.sets.get(name, {}) if section is not None else {}
        if not buffered:
            size = self.client.zcard(key)
            return size, size
        # This section's own writes, not committed yet, count where they change membership:
        # only they are looked up (ZMSCORE), never the whole set (an age index holds 50,000).
        pipe = self.client.pipeline(transaction=False)
        pipe.zcard(key)
        pipe.zmscore(key, list(buffered))
        stored, scores = pipe.execute()
        size = stored
        for (member, present), score in zip(buffered.items(), scores):
            section.read("M", name, member, "0" if score is None else "1")
            size += (present and score is None) - (not present and score is not None)
        return size, stored

    def set_members(self, name: str, after: str | None = None, limit: int | None = None) -> list[str]:
        self._lock_needed()
        section = self._section()
        buffered = section.sets.get(name, {}) if section is not None else {}
        low = "-" if after is None else f"({after}"
        fetch = None if limit is None else limit + sum(not present for present in buffered.values())
        if fetch is None:
            members = self.client.zrangebylex(f"{self.prefix}s:{name}", low, "+")
        else:
            members = self.client.zrangebylex(f"{self.prefix}s:{name}", low, "+", start=0, num=fetch)
        found = {member.decode() for member in members}
        for member, present in buffered.items():
            if not present:
                found.discard(member)
            elif after is None or member > after:
                found.add(member)
        ordered = sorted(found)
        return ordered if limit is None else ordered[:limit]

    # -- change log --------------------------------------------------------------------------
    def log_change(self, kind: str, record_id: str, deleted: bool, at: float) -> None:
        section = self._section()
        if section is None:
            with self.atomic():
                self.log_change(kind, record_id, deleted, at)
            return
        if not section.token:
            # No lock held (an optimistic section, or the writes an update's compare and set
            # buffers): the entry is numbered by its commit, in commit order.
            seq = ""
            section.logged.add(kind)
        else:
            # Under the lock no one else logs: the next number is known without a round trip each.
            if kind not in section.log_seqs:
                section.log_seqs[kind] = int(self.client.get(f"{self.prefix}l:{kind}:n") or 0)
            seq = section.log_seqs[kind] = section.log_seqs[kind] + 1
        journal = "1" if kind in self._local else "0"
        section.ops.extend(["L", kind, record_id, "1" if deleted else "0", repr(float(at)), seq, journal])
        if journal == "1":
            section.local_written.add(kind)

    def last_seq(self, kind: str) -> int:
        section = self._section()
        if section is not None and kind in section.log_seqs:
            return section.log_seqs[kind]
        if section is not None and kind in section.logged:
            self._lock_needed()  # numbered only when it commits
        local = self._local.get(kind)
        if local is not None:  # as fresh as the local copy: no round trip when it is current
            with self._local_lock:
                self._refresh(kind, local)
                self._read_local(section, kind, local)
                return local.log_seq
        self._lock_needed()
        return int(self.client.get(f"{self.prefix}l:{kind}:n") or 0)

    def oldest_valid_seq(self, kind: str) -> int:
        self._lock_needed()
        return int(self.client.get(f"{self.prefix}l:{kind}:f") or 0)

    def changes_since(self, kind: str, seq: int, limit: int) -> list[Change]:
        self._lock_needed()
        up_to = "+inf"
        local = self._local.get(kind)
        if local is not None:  # no further than the local copy reaches: it is never behind what the log says
            with self._local_lock:
                self._refresh(kind, local)
                up_to = local.log_seq
        found = self._changes(args=[self.prefix, kind, seq, up_to, limit])
        changes = []
        for n in range(0, len(found), 3):
            deleted, _, at = found[n + 2].decode().partition("|")
            changes.append(Change(int(found[n + 1]), found[n].decode(), deleted == "1", float(at)))
        return changes

    def purge_deletions(self, kind: str, before: float) -> int:
        return int(self._purge(args=[self.prefix, kind, repr(float(before))]))

    # -- reading ahead ---------------------------------------------------------------------------
    def read_ahead(self, ahead: ReadAhead) -> bytes | None:
        """Read `ahead` for this greenlet's request in one round trip, which reads the version
        counter first: the request's freshness check. Returns the counter; the caller drops
        the reads (`forget_ahead`) when it moved."""
        kind, record_id = ahead.owner_of or ("", "")
        version, owner, first, raws, owned, named = self._read_ahead(
            args=[self.prefix, self.version_key, ahead.owner, kind, record_id, len(ahead.records), len(ahead.owned),
                  *ahead.records, *ahead.owned, *(part for pair in ahead.by_id for part in pair)])
        records, by_owner = dict(zip(ahead.by_id, named)), {}
        if kind:
            records[(kind, record_id)] = first
        owner = owner.decode()
        if owner:
            records.update(((record_kind, owner), raw) for record_kind, raw in zip(ahead.records, raws))
            by_owner.update(((owned_kind, owner), pairs) for owned_kind, pairs in zip(ahead.owned, owned))
            for owned_kind, pairs in zip(ahead.owned, owned):  # each also by its id (a basket read by id later)
                records.update(((owned_kind, record_id.decode()), raw) for record_id, raw in zip(pairs[0::2], pairs[1::2]))
        self._ahead.reads = _AheadReads(records, by_owner)
        return version

    def start_request(self) -> None:
        """This greenlet's request starts with nothing read ahead (or drops what it read ahead):
        what it reads is still kept for its transactions' first runs (`_keep_read`)."""
        self._ahead.reads = _AheadReads({}, {})

    def forget_ahead(self) -> None:
        """Drop what this greenlet's request read ahead and has not used (at its end)."""
        self._ahead.reads = None

    def _known(self, table: str, section: _Section | None, kind: str, key: str) -> Any:
        """What a read (`table`: "records" by id, "owned" by owner) answers from without a
        round trip, else _NOT_AHEAD. Outside a section: what the request read ahead, once.
        Under the lock: nothing (read anew). In an optimistic section: what it read already,
        or on its first run what its request read ahead or read last (its commit checks it)."""
        reads = getattr(self._ahead, "reads", None)
        if section is None:
            return _NOT_AHEAD if reads is None else reads.take(table, kind, key)
        if section.reads is None:
            return _NOT_AHEAD
        known = section.seen[table].get((kind, key), _NOT_AHEAD)
        if known is _NOT_AHEAD and reads is not None and section.first_run:
            known = reads.take(table, kind, key)
            if known is _NOT_AHEAD:
                known = reads.recent[table].get((kind, key), _NOT_AHEAD)
        return known

    def _keep_read(self, table: str, section: _Section | None, kind: str, key: str, value: Any) -> None:
        """Keep what a read brought: for the rest of an optimistic section, or (outside one) for
        the first run of the request's next optimistic section."""
        if section is None:
            reads = getattr(self._ahead, "reads", None)
            if reads is not None:
                reads.recent[table][(kind, key)] = value
        elif section.reads is not None:
            section.seen[table][(kind, key)] = value

    # -- local kinds ---------------------------------------------------------------------------
    def observe(self, counts: Mapping[str, int]) -> None:
        """The journal counts of local kinds as read at the start of a request: a copy behind
        them catches up on its next read."""
        self._observe_counts(counts)

    def _observe_counts(self, counts: Mapping[str, int]) -> None:
        with self._local_lock:
            for kind, count in counts.items():
                local = self._local.get(kind)
                if local is not None and count != local.count:
                    local.known = count
                    local.dirty = True

    def local_kinds(self) -> tuple[str, ...]:
        return tuple(self._local)

    def journal_count_keys(self) -> list[str]:
        return [f"{self.prefix}js:{kind}" for kind in self._local]

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads of local kinds see one moment: each kind catches up once, at its first read."""
        with self._local_lock:
            outer = getattr(self._sections, "pinned", None)
            if outer is None:
                self._sections.pinned = set()
            try:
                yield
            finally:
                if outer is None:
                    self._sections.pinned = None

    def _refresh(self, kind: str, local: _LocalKind) -> None:
        """Bring a local kind up to date (the caller holds the local lock)."""
        pinned = getattr(self._sections, "pinned", None)
        if pinned is not None:
            if kind in pinned:
                return
            pinned.add(kind)
        if not (local.dirty or self.auto_refresh):
            return
        if local.count < 0:
            self._reload(kind, local)
        reply = self._catch_up(args=[self.prefix, kind, local.count])
        if len(reply) > 2 and reply[2] == b"reload":
            self._reload(kind, local)
            reply = self._catch_up(args=[self.prefix, kind, local.count])
        if len(reply) > 2:
            found = reply[3:]
            ids = [raw_id.decode() for raw_id in found[0::3]]
            for record_id, record, stamp in zip(ids, self.codec.decode_many(kind, found[1::3], keep=False), found[2::3]):
                local.apply(record_id, record, int(stamp))
        local.count = local.known = max(int(reply[0]), local.count)
        local.log_seq = int(reply[1])
        local.dirty = False

    def _reload(self, kind: str, local: _LocalKind) -> None:
        """Read the whole kind, then let the journal catch up with what changed meanwhile."""
        count = int(self.client.get(f"{self.prefix}js:{kind}") or 0)
        records: dict[str, Any] = {}
        stamps: dict[str, int] = {}
        after = "-"
        while True:
            ids = [i.decode() for i in self.client.zrangebylex(f"{self.prefix}o:{kind}", after, "+", start=0, num=CHUNK)]
            if not ids:
                break
            pipe = self.client.pipeline(transaction=True)  # each record with its stamp, at one moment
            pipe.mget([self._record_key(kind, record_id) for record_id in ids])
            pipe.hmget(f"{self.prefix}jv:{kind}", ids)
            raws, stamped = pipe.execute()
            for record_id, record, stamp in zip(ids, self.codec.decode_many(kind, raws, keep=False), stamped):
                if record is not None:
                    records[record_id] = record
                if stamp is not None:
                    stamps[record_id] = int(stamp)
            after = f"({ids[-1]}"
        local.records = records
        local.stamps = stamps
        local.ids = SortedList(records)
        local.count = count

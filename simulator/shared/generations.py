"""Which seeded store is current, in Redis.

`<namespace>:current` names the generation every process serves (with its seed and
size). Seeding writes a whole new generation and then points `current` at it in one
SET, so all processes switch at once and none sees half a catalog. The first process
to find Redis empty seeds it (under `<namespace>:seeding`, a lease); the others wait
for `current` to appear. Generations replaced by a reset are deleted a while later,
once no request can still be reading them.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass

import redis

from simulator.store.memory import InMemoryStore
from simulator.store.redis import RedisStore

log = logging.getLogger("simulator.shared")

#: How long a seeding process may take before another one takes over.
SEEDING_LEASE_SECONDS = 600
#: How long a replaced generation is kept for requests still reading it.
RETIRED_GRACE_SECONDS = 60


@dataclass(frozen=True)
class Generation:
    generation: str
    seed: int
    products: int

    def to_json(self) -> str:
        return json.dumps(asdict(self))


def current(client: redis.Redis, namespace: str) -> Generation | None:
    raw = client.get(f"{namespace}:current")
    return None if raw is None else parse(raw)


def parse(raw: bytes | str) -> Generation:
    return Generation(**json.loads(raw))


def adopt_or_seed(client: redis.Redis, namespace: str, seed: Callable[[str], Generation], timeout: float = 900.0) -> Generation:
    """The current generation; when Redis has none, this process seeds one (`seed(generation id)`)
    unless another process is already seeding it, then this one waits for it."""
    deadline = time.monotonic() + timeout
    waiting = False
    while True:
        found = current(client, namespace)
        if found is not None:
            return found
        token = uuid.uuid4().hex
        if client.set(f"{namespace}:seeding", token, nx=True, ex=SEEDING_LEASE_SECONDS):
            try:
                if current(client, namespace) is None:  # nobody finished meanwhile
                    return publish(client, namespace, seed(new_id()))
            finally:
                if client.get(f"{namespace}:seeding") == token.encode():
                    client.delete(f"{namespace}:seeding")
            continue
        if not waiting:
            log.info("another worker is seeding the shared store; waiting for it")
            waiting = True
        if time.monotonic() > deadline:
            raise TimeoutError("no worker finished seeding the shared store in time")
        time.sleep(0.2)


def new_id() -> str:
    return uuid.uuid4().hex[:10]


def publish(client: redis.Redis, namespace: str, generation: Generation) -> Generation:
    """Point every process at `generation`; the one it replaces is deleted after a grace period."""
    pipe = client.pipeline(transaction=True)
    pipe.getset(f"{namespace}:current", generation.to_json())
    pipe.incr(f"{namespace}:version")  # every process catches up on its next request
    previous, _ = pipe.execute()
    if previous is not None:
        client.zadd(f"{namespace}:retired", {parse(previous).generation: time.time()})
    delete_retired(client, namespace)
    return generation


def delete_retired(client: redis.Redis, namespace: str) -> int:
    """Delete the keys of generations replaced more than RETIRED_GRACE_SECONDS ago."""
    deleted = 0
    for raw in client.zrangebyscore(f"{namespace}:retired", "-inf", time.time() - RETIRED_GRACE_SECONDS):
        generation = raw.decode()
        batch = []
        for key in client.scan_iter(match=f"{namespace}:g:{generation}:*", count=1000):
            batch.append(key)
            if len(batch) >= 1000:
                deleted += client.unlink(*batch)
                batch.clear()
        if batch:
            deleted += client.unlink(*batch)
        client.zrem(f"{namespace}:retired", generation)
    return deleted


def copy_into(source: InMemoryStore, target: RedisStore) -> None:
    """Everything a freshly seeded in-memory store holds, into an empty generation in Redis."""
    records, sequences, sets = source.contents()
    for kind, kind_records in records.items():
        target.load(kind, kind_records)
    pipe = target.client.pipeline(transaction=False)
    if sequences:
        pipe.hset(f"{target.prefix}seq", mapping=sequences)
    for name, members in sets.items():
        pipe.zadd(f"{target.prefix}s:{name}", dict.fromkeys(members, 0))
    pipe.execute()

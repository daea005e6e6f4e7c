"""The simulator clock shared by every worker: its (offset, frozen_at) live in a Redis hash.

A change (freeze, set, advance, …) applies the Clock's own transition atomically in
Redis (WATCH / MULTI: two workers changing it at once both take effect, one after the
other); each request starts by loading the state (`load`), and reads time locally.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import redis

from simulator.clock import Clock, Transition


def parse(state: Mapping[bytes, bytes]) -> tuple[float, float | None]:
    frozen = state.get(b"frozen_at") or b""
    return float(state.get(b"offset") or 0.0), (float(frozen) if frozen else None)


def encode(offset: float, frozen_at: float | None) -> dict[str, str]:
    return {"offset": repr(offset), "frozen_at": "" if frozen_at is None else repr(frozen_at)}


class RedisClock(Clock):
    def __init__(self, client: redis.Redis, key: str, version_key: str, wall=time.time) -> None:
        super().__init__(wall)
        self._client, self.key, self._version_key = client, key, version_key

    def load(self, state: Mapping[bytes, bytes]) -> None:
        """The state as read from Redis (HGETALL of `key`)."""
        self._offset, self._frozen_at = parse(state)

    def pull(self) -> None:
        self.load(self._client.hgetall(self.key))

    def _apply(self, transition: Transition) -> None:
        with self._client.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(self.key)
                    offset, frozen_at = transition(*parse(pipe.hgetall(self.key)), self._wall())
                    pipe.multi()
                    pipe.hset(self.key, mapping=encode(offset, frozen_at))
                    pipe.incr(self._version_key)
                    pipe.execute()
                    break
                except redis.WatchError:
                    continue
        self._offset, self._frozen_at = offset, frozen_at

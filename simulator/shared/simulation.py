"""The simulation state shared by every worker: the config in force, fault streams, stats.

- The config lives in Redis as JSON with a version number; a PATCH writes both at once,
  and each request compares the version it read with the one it compiled.
- With a fault seed, the random streams are shared: each draw of a stream takes the
  next number of a Redis counter and seeds a generator from (seed, stream, number),
  so the same requests in the same order meet the same delays and faults, whichever
  worker serves them. Without one, each worker draws from its own OS-seeded streams.
- Stats: each worker counts in memory, as a single process does, and publishes a
  snapshot every second (and whenever stats are read); `/_sim/stats` merges them all.
  Clearing the stats starts a new epoch that every worker follows.
"""

from __future__ import annotations

import copy
import json
import random
import uuid
from collections.abc import Mapping
from typing import Any

import redis

from simulator.simulation import config as simconfig
from simulator.simulation.state import SimState
from simulator.simulation.stats import Stats


class RedisSimState(SimState):
    def __init__(self, client: redis.Redis, namespace: str, config: Mapping[str, Any], fault_seed: int | None, now: float) -> None:
        super().__init__(config, fault_seed, now)
        self._client = client
        self._key = f"{namespace}:sim:"
        self._version_key = f"{namespace}:version"
        self.worker = uuid.uuid4().hex[:12]
        self.version: int | None = None
        self.epoch: int | None = None

    # -- keys read at the start of each request ---------------------------------------
    @property
    def version_key(self) -> str:
        return self._key + "version"

    @property
    def epoch_key(self) -> str:
        return self._key + "epoch"

    def start_afresh(self, config: Mapping[str, Any], now: float) -> None:
        """Config from the settings, stats from zero, fault streams from their start (a seed or a reset)."""
        pipe = self._client.pipeline(transaction=True)
        pipe.set(self._key + "config", json.dumps(config))
        pipe.incr(self.version_key)
        pipe.set(self._key + "since", repr(now))
        pipe.delete(f"{self._key}stats:{self.epoch}")
        pipe.incr(self.epoch_key)
        pipe.delete(self._key + "draws")
        pipe.incr(self._version_key)
        pipe.execute()
        self.pull()

    def pull(self) -> None:
        self.sync(*self._client.mget(self.version_key, self.epoch_key))

    def sync(self, version: bytes | None, epoch: bytes | None) -> None:
        """Catch up with what another worker changed (cheap when nothing did)."""
        version_number, epoch_number = int(version or 0), int(epoch or 0)
        if version_number != self.version:
            raw = self._client.get(self._key + "config")
            config = simconfig.normalize(json.loads(raw)) if raw else simconfig.normalize({})
            self._current = (config, simconfig.compile(config))
            self.version = version_number
        if epoch_number != self.epoch:
            since = self._client.get(self._key + "since")
            self.stats = Stats(float(since or 0.0))
            self.epoch = epoch_number

    # -- config ------------------------------------------------------------------------
    def apply_patch(self, patch: Mapping[str, Any]) -> dict[str, Any]:
        """Merge a patch into the config in force, for every worker; all or nothing. Raises ConfigError."""
        key = self._key + "config"
        with self._client.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    current = json.loads(raw) if raw else self._current[0]
                    config = simconfig.normalize(simconfig.merge_patch(current, patch))
                    pipe.multi()
                    pipe.set(key, json.dumps(config))
                    pipe.incr(self.version_key)
                    pipe.incr(self._version_key)
                    version = pipe.execute()[-2]
                    break
                except redis.WatchError:
                    continue
        self._current = (config, simconfig.compile(config))
        self.version = version
        return copy.deepcopy(config)

    # -- randomness --------------------------------------------------------------------
    def rng(self, stream: str) -> random.Random:
        if self.fault_seed is None:
            return super().rng(stream)
        draw = self._client.hincrby(self._key + "draws", stream, 1)
        return random.Random(f"{self.fault_seed}:{stream}:{draw}")

    # -- stats -------------------------------------------------------------------------
    def publish_stats(self) -> None:
        if self.epoch is not None:
            self._client.hset(f"{self._key}stats:{self.epoch}", self.worker, json.dumps(self.stats.snapshot()))

    def reset_stats(self, now: float) -> None:
        pipe = self._client.pipeline(transaction=True)
        pipe.set(self._key + "since", repr(now))
        pipe.delete(f"{self._key}stats:{self.epoch}")
        pipe.incr(self.epoch_key)
        pipe.incr(self._version_key)
        pipe.execute()
        self.pull()

    def stats_view(self) -> Stats:
        self.publish_stats()
        snapshots = [json.loads(raw) for raw in self._client.hvals(f"{self._key}stats:{self.epoch}")]
        return Stats.merged(self.stats.since, snapshots)

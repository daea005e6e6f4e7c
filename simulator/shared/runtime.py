"""The Runtime of a worker that shares its state through Redis with other workers and hosts.

At start it adopts the current generation (the state survives a restart) or, in an
empty Redis, seeds one while other workers wait. At the start of each request (and
each round of background work) `refresh` reads one counter, `<namespace>:version`,
which every change another worker must see bumps: a reset (the current generation),
the clock, the config, the stats epoch, a change of a locally kept kind. Only when it
moved does it read, in one more round trip, what changed: one catch-up at a time, for
every request that found it moved meanwhile, and what a request read ahead stays. Requests that arrive together
share one read of the counter, sent after they all arrived (coalesced.py); a request
that names its first reads (a ReadAhead: the caller's basket) reads the counter with
them instead, in one script.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from simulator.config import Settings
from simulator.records import KINDS, LOCAL_KINDS
from simulator.runtime import Runtime, build_store, index_catalog
from simulator.simulation import config as simconfig
from simulator.simulation.churn import Churn
from simulator.store import ReadAhead
from simulator.store.codec import Codec
from simulator.store.redis import RedisStore
from simulator.store.redis_connections import UNAVAILABLE, connect
from simulator.webhooks import keys as integration_keys

from . import generations
from .clock import RedisClock
from .coalesced import Coalesced
from .lease import RENEW_SECONDS, Lease
from .simulation import RedisSimState

log = logging.getLogger("simulator.shared")

NAMESPACE = "alegra-sim"
#: How often (real seconds) each worker publishes its stats for the others to merge.
STATS_SECONDS = 1.0


class SharedRuntime(Runtime):
    shared = True
    unavailable = (*Runtime.unavailable, *UNAVAILABLE)

    def __init__(self, settings: Settings) -> None:
        self.client = connect(settings.store)
        self.straight = connect(settings.store, straight=True)  # the store's round trips under its lock
        self.codec = Codec(KINDS)
        self.version_key = f"{NAMESPACE}:version"
        self.seen_version: bytes | None = None
        self.read_version = Coalesced(lambda: self.client.get(self.version_key))
        self.clock = RedisClock(self.client, f"{NAMESPACE}:clock", self.version_key)
        self.simulation = RedisSimState(self.client, NAMESPACE, settings.simulation or simconfig.normalize({}), settings.fault_seed, 0.0)
        self.lease = Lease(self.client, f"{NAMESPACE}:leader")
        self._adopting = threading.Lock()  # one greenlet builds a new generation's read model; the others wait for it
        self._catching_up = threading.Lock()  # one catch-up at a time (`_catch_up_to`)
        self._catch_ups_begun = 0  # catch-ups begun so far, numbered from 1
        self._caught_up = 0  # the number of the last catch-up that went through
        self._failed: tuple[int, Exception | None] = (0, None)  # the last catch-up that could not reach Redis, and why
        generation = generations.adopt_or_seed(self.client, NAMESPACE, lambda generation_id: self._seed(settings, generation_id))
        self.clock.pull()
        self.simulation.pull()
        self._adopt(settings, generation)

    def _seed(self, settings: Settings, generation_id: str) -> generations.Generation:
        """Seed a new generation as the in-memory store would be seeded, and start the clock,
        the config and the stats afresh for it."""
        store = self._open(generation_id, settings.seed)
        generations.copy_into(build_store(settings), store)
        self.clock.reset()
        self.simulation.start_afresh(settings.simulation or simconfig.normalize({}), self.clock.timestamp())
        return generations.Generation(generation_id, settings.seed, settings.products)

    def _open(self, generation_id: str, seed: int) -> RedisStore:
        return RedisStore(self.client, self.codec, generation_id, seed, namespace=NAMESPACE, local_kinds=LOCAL_KINDS,
                          auto_refresh=False, straight=self.straight)

    def _adopt(self, settings: Settings, generation: generations.Generation) -> None:
        """Serve `generation` from now on; its catalog read model is built first (seconds for
        a large catalog), once: greenlets that find the store behind at the same time wait
        for the one building it, then find it done."""
        with self._adopting:
            serving = getattr(self, "store", None)  # none yet as the worker starts
            if serving is not None and serving.generation == generation.generation:
                return
            store = index_catalog(self._open(generation.generation, generation.seed), generation.products)
            self.settings = settings.replace(seed=generation.seed, products=generation.products)
            self.store, self.churn = store, Churn()

    def refresh(self, ahead: ReadAhead | None = None) -> None:
        store = self.store
        arrived = self._catch_ups_begun  # a catch-up begun after this reads what changed before
        if ahead is None:
            version = self.read_version()
            store.start_request()
        else:
            version = store.read_ahead(ahead)
        if not self._caught_up_with(version, arrived):  # else nothing changed that it must see: one round trip
            self._catch_up_to(version, arrived)
        if self.store is not store:  # a reset replaced the store (here or meanwhile): what was read ahead belongs to the old one
            store.forget_ahead()
            self.store.start_request()

    def _caught_up_with(self, version: bytes | None, arrived: int) -> bool:
        """Whether this process saw every change a request that arrived when `arrived` catch-ups
        had begun, and then read the counter at `version`, must see: the counter is what it
        last caught up with, or a catch-up begun since went through (it read after the
        request arrived). An older counter is not enough by itself: a Redis that lost its data
        (or restored an older snapshot) counts again from below."""
        return self._caught_up > arrived or (version is not None and version == self.seen_version)

    def _catch_up_to(self, version: bytes | None, arrived: int) -> None:
        """Catch up once for every greenlet that found the counter moved meanwhile: those that
        waited find it done, as the catch-up began after they arrived. (Each catching up by
        itself, greenlets under load caught up in a third to a half of all requests, and one
        that read an older counter could set the process back to it.) What the request read
        ahead stays: it was read with the counter, and its writes check it when they commit."""
        with self._catching_up:
            if self._caught_up_with(version, arrived):
                return
            number, error = self._failed
            if number > arrived:  # one begun after this arrived could not reach Redis: neither can this, now
                raise error
            self._catch_ups_begun += 1
            number = self._catch_ups_begun
            try:
                self._catch_up()
            except self.unavailable as failure:  # those waiting answer 503 at once, not a timeout each in turn
                self._failed = (number, failure)
                raise
            self.seen_version, self._caught_up = version, number

    def request_done(self) -> None:
        self.store.forget_ahead()

    def _catch_up(self) -> None:
        store = self.store
        pipe = self.client.pipeline(transaction=False)
        pipe.get(f"{NAMESPACE}:current")
        pipe.hgetall(self.clock.key)
        pipe.mget(self.simulation.version_key, self.simulation.epoch_key)
        pipe.mget(store.journal_count_keys())
        current, clock_state, (version, epoch), counts = pipe.execute()
        if current is None:  # Redis lost its data (restarted without persistence): seed it again
            log.warning("the shared store is empty: seeding it again")
            self._adopt(self.settings, generations.adopt_or_seed(self.client, NAMESPACE, lambda g: self._seed(self.settings, g)))
            self.clock.pull()
            self.simulation.pull()
            return
        generation = generations.parse(current)
        if generation.generation != store.generation:
            self._adopt(self.settings, generation)
        else:
            store.observe({kind: int(count or 0) for kind, count in zip(store.local_kinds(), counts)})
        self.clock.load(clock_state)
        self.simulation.sync(version, epoch)

    def reset(self, seed: int | None = None, products: int | None = None) -> RedisStore:
        settings = self.reset_settings(seed, products)
        seeded = self._seed(settings, generations.new_id())
        integration_keys.carry_over(self.store, self._open(seeded.generation, seeded.seed))  # before any worker adopts it
        generation = generations.publish(self.client, NAMESPACE, seeded)
        self._adopt(settings, generation)
        return self.store

    def takes_turn(self, leader_only: bool) -> bool:
        self.refresh()
        return not leader_only or self.lease.leads()

    def shared_jobs(self) -> list[tuple[str, float, Callable[[Runtime], object]]]:
        return [
            ("leader-lease", RENEW_SECONDS, lambda runtime: runtime.lease.renew()),
            ("stats-publisher", STATS_SECONDS, lambda runtime: runtime.simulation.publish_stats()),
        ]

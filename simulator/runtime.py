"""The simulator's running parts: settings, clock, the current store, and the simulator's
own run-time state.

One Runtime per app. A reset builds a complete new store and swaps it in with one
assignment, so a request sees either the old catalog or the new one, never half.
The simulation state (config in force, random streams, stats) and the churn
generator's count are the simulator's own, not the shop's: they live here, beside the
store, and are made afresh on reset too.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from simulator.catalog.index import read_model
from simulator.seed import seed_catalog
from simulator.seed.customers import seed_customers
from simulator.seed.orders import seed_orders
from simulator.seed.promotions import load_promotions
from simulator.simulation.churn import Churn
from simulator.simulation.state import SimState
from simulator.webhooks import keys as integration_keys

from .clock import Clock
from .config import Settings
from .store import InMemoryStore, ReadAhead, Store, StoreUnavailable

log = logging.getLogger("simulator.seed")

#: Below this many records seeding is quick enough not to report progress.
PROGRESS_THRESHOLD = 20_000
#: Whether every catalog built from now on is frozen out of the collector's reach,
#: whatever its size (`freeze_heap`).
_freeze_every_build = False


def freeze_heap() -> None:
    """For a serving process, once its app is made: what it holds now (the code, the app,
    the seeded store) lives as long as the process, so it goes out of the cyclic garbage
    collector's reach (see below), and so does every catalog a reset builds later. Even
    a small catalog's process holds enough (~120,000 objects) for a full collection to
    stall the worker for 0.1 s; with 10,000 products 0.1–0.3 s. Not for a process that
    makes app after app (the tests): a frozen app is never collected once dropped."""
    global _freeze_every_build
    _freeze_every_build = True
    gc.freeze()


def _progress(what: str):
    def report(done: int, total: int) -> None:
        if total >= PROGRESS_THRESHOLD:
            log.info("seeding %s: %d/%d (%d%%)", what, done, total, done * 100 // total)

    return report


@contextmanager
def _collector_paused(freeze: bool) -> Iterator[None]:
    """Seeding makes millions of records that live as long as the store and hold no
    reference cycles: the cyclic garbage collector would walk them over and over for
    nothing. It is paused meanwhile; with `freeze`, what is alive afterwards is moved
    out of its reach for good (reference counting still frees it), so that serving a
    large catalog has no pauses of a second to walk it. No collection comes first: it
    would walk the million records once more (3 s) to find a few thousand objects of
    garbage, which stay."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if enabled:
            gc.enable()


def build_store(settings: Settings) -> Store:
    """A store seeded from the settings: catalog, customers, promotion rules, order history."""
    with _collector_paused(freeze=False):
        started = time.perf_counter()
        store = InMemoryStore(settings.seed)
        seed_catalog(store, settings.products, progress=_progress("catalog"))
        log.info("seeded %d products (seed %d) in %.2f s", settings.products, settings.seed, time.perf_counter() - started)
        started = time.perf_counter()
        seed_customers(store, settings.customers, settings.password_hash_profile, progress=_progress("customers"))
        log.info("seeded %d customers + demo@example.com in %.2f s", settings.customers, time.perf_counter() - started)
        load_promotions(store, settings.promotions_file or None)
        log.info("seeded %d past orders", seed_orders(store, settings.customers + 1))
    return store


def index_catalog(store: Store, products: int) -> Store:
    """The store, its catalog read model built now: the first browse finds it ready. A
    large catalog is then frozen out of the garbage collector's reach (see above)."""
    with _collector_paused(freeze=_freeze_every_build or products >= PROGRESS_THRESHOLD):
        started = time.perf_counter()
        read_model(store).refresh()
        log.info("indexed the catalog in %.2f s", time.perf_counter() - started)
    return store


def seeded_store(settings: Settings) -> Store:
    """`build_store`, then `index_catalog`, the collector paused from start to end: let on
    between the two, its first collection would walk every record just made (seconds for
    a million products, the event loop held throughout)."""
    with _collector_paused(freeze=False):
        return index_catalog(build_store(settings), settings.products)


class Runtime:
    """Everything in this one process (SIM_STORE=memory); see shared/runtime.py for Redis."""

    #: True when several worker processes share the state (the store, the clock, the config).
    shared = False
    #: Exceptions that mean the store cannot be reached: answered 503 STORE_UNAVAILABLE.
    unavailable: tuple[type[BaseException], ...] = (StoreUnavailable,)

    def __init__(self, settings: Settings, clock: Clock | None = None):
        self.settings = settings
        self.clock = clock or Clock()
        self.store: Store = seeded_store(settings)
        self.simulation = SimState.from_settings(settings, self.clock.timestamp())
        self.churn = Churn()

    def refresh(self, ahead: ReadAhead | None = None) -> None:
        """Catch up with what other workers changed; at the start of each request and each
        round of background work. `ahead`: what the request reads first, which a shared store
        reads in the same round trip. One process has nothing to catch up with."""

    def request_done(self) -> None:
        """The request that `refresh` started is over (a shared store drops what it read ahead)."""

    def takes_turn(self, leader_only: bool) -> bool:
        """Whether a round of background work runs here now (after catching up). One process
        always runs it; of several, only the leader runs work that must run once."""
        return True

    def shared_jobs(self) -> list[tuple[str, float, Callable[[Runtime], object]]]:
        """Background loops of a shared runtime itself (the leader lease, stats): none here."""
        return []

    def reset(self, seed: int | None = None, products: int | None = None) -> Store:
        """Back to a freshly seeded state (optionally with another seed or size)."""
        settings = self.reset_settings(seed, products)
        store = seeded_store(settings)
        integration_keys.carry_over(self.store, store)
        self.clock.reset()
        # Config overrides, stats, fault streams and the churn count start afresh from the
        # settings, as webhook subscriptions and deliveries do with the new store (the
        # integration keys that own them stay).
        simulation = SimState.from_settings(settings, self.clock.timestamp())
        self.settings, self.store, self.simulation, self.churn = settings, store, simulation, Churn()
        return store

    def reset_settings(self, seed: int | None, products: int | None) -> Settings:
        if seed is None and products is None:
            return self.settings
        return self.settings.replace(
            seed=self.settings.seed if seed is None else seed,
            products=self.settings.products if products is None else products,
        )


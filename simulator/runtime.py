"""The simulator's running parts: settings, clock, the current store, and the simulator's
own run-time state.

One Runtime per app. A reset builds a complete new store and swaps it in with one
assignment, so a request sees either the old catalog or the new one, never half.
The simulation state (config in force, random streams, stats) and the churn
generator's count are the simulator's own, not the shop's: they live here, beside the
store, and are made afresh on reset too.
"""

from __future__ import annotations

import logging
import time

from .clock import Clock
from .config import Settings
from simulator.seed import seed_catalog
from simulator.seed.customers import seed_customers
from simulator.seed.orders import seed_orders
from simulator.seed.promotions import load_promotions
from simulator.simulation.churn import Churn
from simulator.simulation.state import SimState
from simulator.webhooks import keys as integration_keys
from .store import InMemoryStore, Store

log = logging.getLogger("simulator.seed")

#: Below this many records seeding is quick enough not to report progress.
PROGRESS_THRESHOLD = 20_000


def _progress(what: str):
    def report(done: int, total: int) -> None:
        if total >= PROGRESS_THRESHOLD:
            log.info("seeding %s: %d/%d (%d%%)", what, done, total, done * 100 // total)

    return report


def build_store(settings: Settings) -> Store:
    """A store seeded from the settings: catalog, customers, promotion rules, order history."""
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


class Runtime:
    def __init__(self, settings: Settings, clock: Clock | None = None):
        self.settings = settings
        self.clock = clock or Clock()
        self.store: Store = build_store(settings)
        self.simulation = SimState.from_settings(settings, self.clock.timestamp())
        self.churn = Churn()

    def reset(self, seed: int | None = None, products: int | None = None) -> Store:
        """Back to a freshly seeded state (optionally with another seed or size)."""
        settings = self.settings
        if seed is not None or products is not None:
            settings = settings.replace(
                seed=settings.seed if seed is None else seed,
                products=settings.products if products is None else products,
            )
        store = build_store(settings)
        integration_keys.carry_over(self.store, store)
        self.clock.reset()
        # Config overrides, stats, fault streams and the churn count start afresh from the
        # settings, as webhook subscriptions and deliveries do with the new store (the
        # integration keys that own them stay).
        simulation = SimState.from_settings(settings, self.clock.timestamp())
        self.settings, self.store, self.simulation, self.churn = settings, store, simulation, Churn()
        return store

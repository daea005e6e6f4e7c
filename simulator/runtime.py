"""The simulator's running parts: settings, clock and the current store.

One Runtime per app. A reset builds a complete new store and swaps it in with one
assignment, so a request sees either the old catalog or the new one, never half.
"""

from __future__ import annotations

import logging
import time

from seed_data import seed_catalog

from .clock import Clock
from .config import Settings
from .store import InMemoryStore, Store

log = logging.getLogger("simulator.seed")

#: Below this many products seeding is quick enough not to report progress.
PROGRESS_THRESHOLD = 20_000


def _report_progress(done: int, total: int) -> None:
    if total >= PROGRESS_THRESHOLD:
        log.info("seeding catalog: %d/%d products (%d%%)", done, total, done * 100 // total)


def build_store(seed: int, products: int) -> Store:
    started = time.perf_counter()
    store = InMemoryStore(seed)
    seed_catalog(store, products, progress=_report_progress)
    log.info("seeded %d products (seed %d) in %.2f s", products, seed, time.perf_counter() - started)
    return store


class Runtime:
    def __init__(self, settings: Settings, clock: Clock | None = None):
        self.settings = settings
        self.clock = clock or Clock()
        self.store: Store = build_store(settings.seed, settings.products)

    def reset(self, seed: int | None = None, products: int | None = None) -> Store:
        """Back to a freshly seeded state (optionally with another seed or size)."""
        settings = self.settings
        if seed is not None or products is not None:
            settings = settings.replace(
                seed=settings.seed if seed is None else seed,
                products=settings.products if products is None else products,
            )
        store = build_store(settings.seed, settings.products)
        self.settings, self.store = settings, store
        self.clock.reset()
        return store

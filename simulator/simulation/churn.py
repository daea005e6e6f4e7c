"""Catalog churn: keeps the catalog moving so that delta sync has something to sync.

Changes are due at `rate` per simulated minute; `Churn.tick` applies the ones due
since the previous tick, so freezing the clock stops churn and advancing it catches up
(capped, so that advancing by a month does not stall the server).
All changes go through the catalog service, the same rules as a manual edit.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from simulator.catalog import service
from simulator.catalog.model import PRODUCT
from simulator.clock import Clock
from simulator.money import quantize
from simulator.seed.catalog import faker_pools, generate_categories, generate_products
from simulator.store import Store, encode_id

#: The mix of changes: (kind, weight). Prices and stock move most, like a real shop.
MIX = (("price", 40), ("stock", 40), ("create", 10), ("delete", 10))
MAX_CHANGES_PER_TICK = 1000


def apply_changes(store: Store, clock: Clock, count: int) -> dict[str, int]:
    """Apply `count` random catalog changes; returns how many of each kind."""
    rng = store.rng("churn")
    kinds, weights = zip(*MIX)
    done = {kind: 0 for kind in kinds}
    for kind in rng.choices(kinds, weights, k=count):
        if kind == "create" or store.count(PRODUCT) == 0:
            service.create_product(store, clock, _new_product_fields(store, rng.getrandbits(32)))
            done["create"] += 1
            continue
        with store.atomic():  # pick and change under one lock: the pick cannot vanish
            pivot = encode_id("prd", rng.getrandbits(60))
            picked = store.ids_after(PRODUCT, pivot, 1) or store.ids_after(PRODUCT, None, 1)
            product = store.get(PRODUCT, picked[0])
            if kind == "delete":
                service.delete_product(store, clock, product.id)
            elif kind == "price":
                factor = Decimal(rng.choice((80, 85, 90, 95, 105, 110, 115, 120))) / 100
                price = max(quantize(product.price * factor), Decimal("0.49"))
                compare_at = product.compare_at_price if product.compare_at_price and product.compare_at_price > price else None
                service.update_product(store, clock, product.id, {"price": price, "compare_at_price": compare_at})
            else:
                stock = 0 if rng.random() < 0.2 else rng.randint(1, 250)
                service.update_product(store, clock, product.id, {"stock": stock})
        done[kind] += 1
    return done


@lru_cache(maxsize=4)
def _templates(seed: int) -> tuple:
    """The leaf categories and Faker pools of a seed: costly to build, a pure function of the seed."""
    return generate_categories(seed)[1], faker_pools(seed)


def _new_product_fields(store: Store, seed: int) -> dict:
    leaves, pools = _templates(store.seed)
    template = next(generate_products(seed, 1, leaves, pools))
    return {name: getattr(template, name) for name in service.EDITABLE}


@dataclass
class Churn:
    """The churn generator's count between ticks: run-time state, kept on the Runtime (so a
    reset starts it afresh), not in the store."""

    last_tick: float | None = None  # simulated timestamp of the previous tick
    carry: float = 0.0  # the fraction of a change due but not applied yet
    # The background loop and the clock controls both tick: one at a time, so none is counted twice.
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def tick(self, store: Store, clock: Clock, rate_per_minute: float) -> int:
        """Apply the changes that fell due since the last tick; returns how many."""
        with self._lock:
            now = clock.timestamp()
            last, self.last_tick = self.last_tick, now
            if last is None or rate_per_minute <= 0 or now <= last:
                return 0
            due = self.carry + (now - last) / 60 * rate_per_minute
            count = min(int(due), MAX_CHANGES_PER_TICK)
            self.carry = due - int(due)
            if count:
                apply_changes(store, clock, count)
            return count

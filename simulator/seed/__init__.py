"""Seed data: everything the simulator starts with, produced from one seed number."""

from __future__ import annotations

from simulator.catalog.model import CATEGORY, PRODUCT
from simulator.store import Store

from .catalog import ProgressCallback, faker_pools, generate_categories, generate_products


def seed_catalog(store: Store, products: int, progress: ProgressCallback | None = None) -> None:
    """Fill `store` with the catalog of its seed: the category tree and `products` products."""
    categories, leaves = generate_categories(store.seed)
    store.load(CATEGORY, categories)
    store.load(PRODUCT, generate_products(store.seed, products, leaves, faker_pools(store.seed), progress))

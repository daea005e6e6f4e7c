"""Stock: whether products can be had in some quantity, taking units and putting them back.

Orders call these while holding the store lock, so a check and the take that follows
see the same shelf. Every change goes through the product's ordinary update (version,
change log, `product.updated` event), as any other product edit does.
"""

from __future__ import annotations

from collections.abc import Mapping

from simulator.clock import Clock
from simulator.errors import DomainError
from simulator.store import Store

from . import service
from .model import PRODUCT


def ensure_stock(store: Store, quantities: Mapping[str, int]) -> None:
    """409 INSUFFICIENT_STOCK naming every product that cannot be had in that quantity."""
    short = []
    for product_id, quantity in quantities.items():
        product = store.get(PRODUCT, product_id)
        available = product.stock if product else 0
        if quantity > available:
            short.append({"product_id": product_id, "requested": quantity, "available": available})
    if short:
        raise DomainError(409, "INSUFFICIENT_STOCK", "Some products sold out meanwhile; the basket shows what is left.", lines=short)


def take_stock(store: Store, clock: Clock, quantities: Mapping[str, int]) -> None:
    """Decrement stock for every product, all or none (the caller holds the store lock)."""
    ensure_stock(store, quantities)
    for product_id, quantity in quantities.items():
        product = store.get(PRODUCT, product_id)
        service.update_product(store, clock, product_id, {"stock": product.stock - quantity})


def return_stock(store: Store, clock: Clock, quantities: Mapping[str, int]) -> None:
    """Put units back on the shelf (products deleted since are skipped)."""
    for product_id, quantity in quantities.items():
        product = store.get(PRODUCT, product_id)
        if product is not None:
            service.update_product(store, clock, product_id, {"stock": product.stock + quantity})

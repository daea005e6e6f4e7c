"""Wire form of catalog records.

Hot paths (product detail, export, changes) build plain dicts here instead of going
through marshmallow's `dump`, which costs more than the rest of the request; the
schemas in `schemas.py` document the same shape and a test keeps the two identical.
"""

from __future__ import annotations

from collections.abc import Iterable

import orjson

from simulator.clock import rfc3339
from simulator.money import money

from .model import Category, Product


def image_urls(product: Product, base_url: str) -> list[str]:
    return [image_url(product, n, base_url) for n in range(1, product.image_count + 1)]


def image_url(product: Product, number: int, base_url: str) -> str:
    return f"{base_url}/media/products/{product.id}/{number}.svg"


def first_image_url(product: Product, base_url: str) -> str | None:
    """The first of `image_urls`, without making the others."""
    return image_url(product, 1, base_url) if product.image_count else None


def product_to_dict(product: Product, currency: str, base_url: str) -> dict:
    return {
        "id": product.id,
        "sku": product.sku,
        "name": product.name,
        "description": product.description,
        "brand": product.brand,
        "category_ids": list(product.category_ids),
        "price": money(product.price, currency),
        "compare_at_price": money(product.compare_at_price, currency) if product.compare_at_price is not None else None,
        "tax_rate": str(product.tax_rate),
        "stock": product.stock,
        "in_stock": product.stock > 0,
        "weight_grams": product.weight_grams,
        "attributes": dict(product.attributes),
        "images": image_urls(product, base_url),
        "version": product.version,
        "created_at": rfc3339(product.created_at),
        "updated_at": rfc3339(product.updated_at),
    }


class RecentJson:
    """The JSON of the products answered lately, so that a browse page costs a lookup
    per product rather than building and encoding its dict (most of the page's time).

    Keyed by the record itself: a change makes a new record, so an entry is never
    stale; each entry holds its record, so its `id()` cannot be reused meanwhile.
    Bounded (about 1.3 KB an entry): when full, the oldest entry goes. Safe under
    threads: a race builds an entry twice, or drops one more.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: dict[int, tuple[Product, str, str, bytes]] = {}

    def product(self, product: Product, currency: str, base_url: str) -> bytes:
        entries = self._entries
        entry = entries.get(id(product))
        if entry is not None and entry[0] is product and entry[1] == currency and entry[2] == base_url:
            return entry[3]
        # orjson's bytes keep the buffer it wrote into (8 KB for a 1 KB product): keep a copy.
        body = bytes(memoryview(orjson.dumps(product_to_dict(product, currency, base_url))))
        if len(entries) >= self._size:
            entries.pop(next(iter(entries), None), None)
        entries[id(product)] = (product, currency, base_url, body)
        return body

    def products(self, products: Iterable[Product], currency: str, base_url: str) -> bytes:
        """A JSON array of the products: the bytes `orjson.dumps([product_to_dict(p), …])` gives."""
        return b"[" + b",".join(self.product(p, currency, base_url) for p in products) + b"]"


def category_to_dict(category: Category) -> dict:
    return {
        "id": category.id,
        "name": category.name,
        "slug": category.slug,
        "parent_id": category.parent_id,
        "level": category.level,
    }


def category_tree_to_list(nodes: list[dict]) -> list[dict]:
    return [
        {**category_to_dict(node["category"]), "children": category_tree_to_list(node["children"])}
        for node in nodes
    ]

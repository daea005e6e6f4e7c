"""Catalog rules: browse, product detail, product changes, bulk export and the changes feed.

The sync guarantee: an export records the change-log position when it begins (its
sync token) and reads products as they are when each page is read. Anything that
changes after that position is in the changes feed, so export + feed replay from the
token reproduces the live catalog, however the catalog moves during the export.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from simulator.clock import Clock
from simulator.errors import DomainError, not_found, validation_error
from simulator.offload import cooperative_yield
from simulator.store import Change, RecordNotFound, Store, VersionConflict
from simulator.versioned import stale
from simulator.webhooks import events

from . import cursors
from .index import ProductQuery, read_model
from .model import CATEGORY, PRODUCT, Product, ean13

T = TypeVar("T")
EXPORT_MAX_LIMIT = 1000
#: Products an export reads (and its route serialises) between two pauses for other
#: requests: about half a millisecond of work on this project's 2-core machine, so however
#: large the catalog, an export holds the server's one event loop no longer at a time.
EXPORT_CHUNK = 100
CHANGES_MAX_LIMIT = 1000
#: Fields a product change may set (through /_sim/products or the churn generator).
EDITABLE = (
    "name", "description", "brand", "category_ids", "price", "compare_at_price",
    "tax_rate", "stock", "weight_grams", "attributes", "image_count",
)


# -- categories, browse and detail ----------------------------------------------
def category_tree(store: Store, render: Callable[[list[dict]], T] | None = None) -> list[dict] | T:
    """Top-level categories with nested `children`, siblings in their shop order, or what
    `render` makes of them: both cached until the categories change (read, never change)."""
    return read_model(store).category_tree(render)


def category_ancestry(store: Store) -> Callable[[tuple[str, ...]], frozenset[str]]:
    """category ids → those categories and all their ancestors, as the categories are now
    (kept until they change, like the tree)."""
    return read_model(store).ancestry()


def browse(store: Store, query: ProductQuery, page: int, page_size: int) -> tuple[list[Product], int]:
    """One page of products matching the query, and how many match in all (from the
    read model's indexes: see `index.py`; the `q` rule is in `search.py`)."""
    if query.category is not None and store.get(CATEGORY, query.category) is None:
        raise validation_error({"category": f"unknown category {query.category}"})
    if query.min_price is not None and query.max_price is not None and query.min_price > query.max_price:
        raise validation_error({"min_price": "must not be above max_price"})
    return read_model(store).browse(query, (page - 1) * page_size, page_size)


def get_product(store: Store, product_id: str) -> Product:
    product = store.get(PRODUCT, product_id)
    if product is None:
        raise not_found("PRODUCT_NOT_FOUND", f"There is no product {product_id}.")
    return product


# -- changes --------------------------------------------------------------------
def _check(store: Store, product: Product) -> Product:
    errors = {}
    if not product.name.strip():
        errors["name"] = "must not be blank"
    if product.price <= 0:
        errors["price"] = "must be above zero"
    if product.compare_at_price is not None and product.compare_at_price <= product.price:
        errors["compare_at_price"] = "must be above the price (or null)"
    if not product.category_ids:
        errors["category_ids"] = "at least one category"
    unknown = [c for c in product.category_ids if store.get(CATEGORY, c) is None]
    if unknown:
        errors["category_ids"] = f"unknown categories: {', '.join(unknown)}"
    if errors:
        raise validation_error(errors)
    return product


def create_product(store: Store, clock: Clock, fields: Mapping[str, Any]) -> Product:
    now = clock.now()
    with store.atomic():
        product = _check(
            store,
            Product(
                id=store.new_id("prd"),
                sku=fields.get("sku") or _new_sku(store),
                name=fields["name"],
                description=fields.get("description", ""),
                brand=fields.get("brand", ""),
                category_ids=tuple(fields["category_ids"]),
                price=fields["price"],
                compare_at_price=fields.get("compare_at_price"),
                tax_rate=fields.get("tax_rate", Decimal("0.19")),
                stock=fields.get("stock", 0),
                weight_grams=fields.get("weight_grams", 500),
                attributes=dict(fields.get("attributes", {})),
                image_count=fields.get("image_count", 1),
                created_at=now,
                updated_at=now,
                version=1,
            ),
        )
        store.put(PRODUCT, product)
        store.log_change(PRODUCT, product.id, deleted=False, at=now.timestamp())
        events.publish(store, clock, "product.created", product.id, product)
    return product


def _new_sku(store: Store) -> str:
    return ean13(store.rng("sku").randrange(10**11))


def update_product(
    store: Store,
    clock: Clock,
    product_id: str,
    changes: Mapping[str, Any],
    expected_version: int | None = None,
) -> Product:
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise validation_error({name: "not editable" for name in sorted(unknown)})
    now = clock.now()

    def apply(current: Product) -> Product:
        values = {k: (tuple(v) if k == "category_ids" else v) for k, v in changes.items()}
        return _check(store, dataclasses.replace(current, **values, updated_at=now, version=current.version + 1))

    with store.atomic():
        updated = _guarded(lambda: store.update(PRODUCT, product_id, apply, expected_version), product_id)
        store.log_change(PRODUCT, product_id, deleted=False, at=now.timestamp())
        events.publish(store, clock, "product.updated", product_id, updated)
    return updated


def delete_product(store: Store, clock: Clock, product_id: str, expected_version: int | None = None) -> Product:
    with store.atomic():
        current = get_product(store, product_id)
        if expected_version is not None and current.version != expected_version:
            raise stale(f"Product {product_id}", current.version)
        store.delete(PRODUCT, product_id)
        store.log_change(PRODUCT, product_id, deleted=True, at=clock.timestamp())
        events.publish(store, clock, "product.deleted", product_id, current)
    return current


def _guarded(action, product_id: str):
    try:
        return action()
    except RecordNotFound:
        raise not_found("PRODUCT_NOT_FOUND", f"There is no product {product_id}.") from None
    except VersionConflict as conflict:
        raise stale(f"Product {product_id}", conflict.actual) from None


# -- bulk export ----------------------------------------------------------------
@dataclass(frozen=True)
class ExportPage:
    items: list[Product]
    next_cursor: str | None
    sync_token: str


def _export_chunk(store: Store, after: str | None, limit: int) -> tuple[list[Product], bool]:
    """Up to `limit` products after id `after`, and whether more follow."""
    with store.snapshot():
        ids = store.ids_after(PRODUCT, after, limit + 1)
        return [store.get(PRODUCT, i) for i in ids[:limit]], len(ids) > limit


def _export_chunks(store: Store, after: str | None, limit: int | None, chunk: int) -> Iterator[list[Product]]:
    """Chunks of products after id `after`, at most `limit` in all (None: to the end), each
    read under the lock on its own, with a pause for other requests before the next."""
    remaining = limit
    while True:
        items, more = _export_chunk(store, after, chunk if remaining is None else min(chunk, remaining))
        if items:
            yield items
        if remaining is not None:
            remaining -= len(items)
        if not more or remaining == 0:
            return
        after = items[-1].id
        cooperative_yield()


def export_page(store: Store, cursor: str | None, limit: int) -> ExportPage:
    if cursor:
        position = cursors.decode_cursor(cursor, store.generation)
    else:
        position = cursors.ExportCursor(store.last_seq(PRODUCT), "")
    # One more than the page holds tells whether more follow.
    chunks = _export_chunks(store, position.after_id or None, limit + 1, EXPORT_CHUNK)
    items = [product for chunk in chunks for product in chunk]
    items, more = items[:limit], len(items) > limit
    next_cursor = (
        cursors.encode_cursor(store.generation, cursors.ExportCursor(position.start_seq, items[-1].id))
        if more
        else None
    )
    return ExportPage(items, next_cursor, cursors.encode_sync_token(store.generation, position.start_seq))


def export_stream(store: Store, chunk: int = EXPORT_CHUNK) -> tuple[str, Iterator[list[Product]]]:
    """The sync token and chunks of the whole catalog, read lazily in id order.

    Only one chunk is in memory at a time; the lock is held per chunk, not for the
    whole stream, so writers are never stalled by a slow reader; and other requests
    run between two chunks, however fast the client reads.
    """
    token = cursors.encode_sync_token(store.generation, store.last_seq(PRODUCT))
    return token, _export_chunks(store, None, None, chunk)


# -- changes feed ---------------------------------------------------------------
@dataclass(frozen=True)
class ChangeEntry:
    seq: int
    product_id: str
    product: Product | None  # None for a deletion


@dataclass(frozen=True)
class ChangesPage:
    changes: list[ChangeEntry]
    next_token: str
    has_more: bool


def changes_since(store: Store, clock: Clock, retention_seconds: int, since: str, limit: int) -> ChangesPage:
    store.purge_deletions(PRODUCT, clock.timestamp() - retention_seconds)
    seq = cursors.decode_sync_token(since, store.generation)
    with store.snapshot():
        if seq < store.oldest_valid_seq(PRODUCT):
            raise cursors.sync_token_expired()
        if seq > store.last_seq(PRODUCT):
            raise DomainError(422, "INVALID_SYNC_TOKEN", "The sync token is ahead of this catalog.", errors={"since": "unrecognised value"})
        log = store.changes_since(PRODUCT, seq, limit + 1)
        entries = [
            ChangeEntry(change.seq, change.record_id, None if change.deleted else store.get(PRODUCT, change.record_id))
            for change in log[:limit]
        ]
    next_seq = entries[-1].seq if entries else seq
    return ChangesPage(entries, cursors.encode_sync_token(store.generation, next_seq), len(log) > limit)


def latest_changes(store: Store, limit: int) -> tuple[int, list[tuple[Change, Product | None]]]:
    """The tail of the change log the changes feed reads, newest first: the latest change of
    each product changed within the last `limit` sequence numbers (coalesced as the feed is),
    with the product as it is now (None for a deletion); and the last sequence number."""
    with store.atomic():
        last = store.last_seq(PRODUCT)
        log = store.changes_since(PRODUCT, max(0, last - limit), limit)
        entries = [(change, None if change.deleted else store.get(PRODUCT, change.record_id)) for change in reversed(log)]
    return last, entries

"""Catalog rules, without HTTP."""

from decimal import Decimal

import pytest

from simulator.catalog import service
from simulator.catalog.model import CATEGORY, PRODUCT
from simulator.errors import DomainError
from tests.catalog.reference import descendants


def raises(status, code):
    class Check:
        def __enter__(self):
            return self

        def __exit__(self, kind, error, tb):
            assert isinstance(error, DomainError), f"expected DomainError {code}, got {error!r}"
            assert (error.status, error.code) == (status, code)
            return True

    return Check()


def leaf(store):
    return next(c for c in store.values(CATEGORY) if c.level == 3)


NEW = {"name": "Test Mug", "category_ids": None, "price": Decimal("9.99"), "stock": 3}


def new_fields(store, **extra):
    return {**NEW, "category_ids": [leaf(store).id], **extra}


# -- browse ------------------------------------------------------------------------
def test_unfiltered_browse_pages_through_everything_in_id_order(sim):
    store = sim.store
    seen = []
    for page in range(1, 12):
        items, total = service.browse(store, service.ProductQuery(), page, 20)
        seen += [p.id for p in items]
    assert total == 200 and len(seen) == 200 and seen == sorted(seen)


def test_category_filter_includes_sub_categories(sim):
    store = sim.store
    top = next(c for c in store.values(CATEGORY) if c.level == 1)
    below = descendants(store, top.id)
    items, total = service.browse(store, service.ProductQuery(category=top.id), 1, 100)
    expected = [p for p in store.values(PRODUCT) if set(p.category_ids) & below]
    assert total == len(expected) > 0
    assert [p.id for p in items] == [p.id for p in expected[:100]]


def test_price_stock_and_search_filters(sim):
    store = sim.store
    query = service.ProductQuery(min_price=Decimal("20"), max_price=Decimal("100"), in_stock=True)
    items, total = service.browse(store, query, 1, 100)
    expected = [p for p in store.values(PRODUCT) if Decimal(20) <= p.price <= Decimal(100) and p.stock > 0]
    assert total == len(expected) and {p.id for p in items} == {p.id for p in expected[:100]}
    some = store.values(PRODUCT)[17]
    by_sku, _ = service.browse(store, service.ProductQuery(q=some.sku), 1, 10)
    assert [p.id for p in by_sku] == [some.id]
    words = some.name.split()[:2]
    by_name, _ = service.browse(store, service.ProductQuery(q=" ".join(words).upper()), 1, 100)
    assert some.id in {p.id for p in by_name}
    assert all(all(w.lower() in (p.name + " " + p.brand).lower() for w in words) for p in by_name)


@pytest.mark.parametrize("sort, key, reverse", [
    ("price", lambda p: p.price, False),
    ("-price", lambda p: p.price, True),
    ("name", lambda p: p.name.lower(), False),
    ("-updated_at", lambda p: p.updated_at, True),
])
def test_sorts(sim, sort, key, reverse):
    items, _ = service.browse(sim.store, service.ProductQuery(sort=sort), 1, 100)
    values = [key(p) for p in items]
    assert values == sorted(values, reverse=reverse)


def test_bad_filters_are_validation_errors(sim):
    with raises(422, "VALIDATION_FAILED"):
        service.browse(sim.store, service.ProductQuery(category="cat_doesnotexist"), 1, 20)
    with raises(422, "VALIDATION_FAILED"):
        service.browse(sim.store, service.ProductQuery(min_price=Decimal(50), max_price=Decimal(10)), 1, 20)


# -- changes to products ----------------------------------------------------------------
def test_create_update_delete_are_logged_with_versions(sim, frozen):
    store = sim.store
    created = service.create_product(store, frozen, new_fields(store))
    assert created.version == 1 and created.created_at == frozen.now() and len(created.sku) == 13
    updated = service.update_product(store, frozen, created.id, {"price": Decimal("12.50")}, expected_version=1)
    assert (updated.version, updated.price) == (2, Decimal("12.50"))
    service.delete_product(store, frozen, created.id)
    assert store.get(PRODUCT, created.id) is None
    log = store.changes_since(PRODUCT, 0, 10)
    assert [(c.record_id, c.deleted) for c in log] == [(created.id, True)]  # coalesced to the latest
    assert store.last_seq(PRODUCT) == 3


def test_refused_changes_write_and_log_nothing(sim, frozen):
    store = sim.store
    product = store.values(PRODUCT)[0]
    before = store.last_seq(PRODUCT)
    with raises(412, "VERSION_MISMATCH"):
        service.update_product(store, frozen, product.id, {"stock": 1}, expected_version=product.version + 1)
    with raises(422, "VALIDATION_FAILED"):
        service.update_product(store, frozen, product.id, {"price": Decimal("0")})
    with raises(422, "VALIDATION_FAILED"):
        service.update_product(store, frozen, product.id, {"category_ids": ["cat_nope"]})
    with raises(422, "VALIDATION_FAILED"):
        service.update_product(store, frozen, product.id, {"id": "prd_mine"})
    with raises(422, "VALIDATION_FAILED"):
        service.create_product(store, frozen, new_fields(store, compare_at_price=Decimal("1.00")))
    with raises(404, "PRODUCT_NOT_FOUND"):
        service.update_product(store, frozen, "prd_missing", {"stock": 1})
    with raises(404, "PRODUCT_NOT_FOUND"):
        service.delete_product(store, frozen, "prd_missing")
    assert store.get(PRODUCT, product.id) == product
    assert store.last_seq(PRODUCT) == before and store.count(PRODUCT) == 200


# -- export and changes feed ----------------------------------------------------------
def test_export_pages_cover_the_catalog_and_share_one_sync_token(sim):
    store = sim.store
    pages, cursor = [], None
    while True:
        page = service.export_page(store, cursor, 64)
        pages.append(page)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert [len(p.items) for p in pages] == [64, 64, 64, 8]
    assert [p.id for page in pages for p in page.items] == [p.id for p in store.values(PRODUCT)]
    assert len({p.sync_token for p in pages}) == 1


def test_export_stream_yields_the_catalog_in_chunks(sim):
    token, chunks = service.export_stream(sim.store, chunk=70)
    sizes = [len(chunk) for chunk in chunks]
    assert sizes == [70, 70, 60]
    assert token == service.export_page(sim.store, None, 1).sync_token


def test_exports_pause_for_other_requests_between_chunks(sim, monkeypatch):
    events = []
    monkeypatch.setattr(service, "cooperative_yield", lambda: events.append("pause"))
    _token, chunks = service.export_stream(sim.store, chunk=70)
    events.extend(len(chunk) for chunk in chunks)
    assert events == [70, "pause", 70, "pause", 60]

    events.clear()
    monkeypatch.setattr(service, "EXPORT_CHUNK", 40)
    assert len(service.export_page(sim.store, None, 100).items) == 100
    assert events == ["pause", "pause"]  # read as 40 + 40 + 21 (one more tells whether more follow)


def test_changes_feed_pages_with_has_more(sim, frozen):
    store = sim.store
    token = service.export_page(store, None, 1).sync_token
    ids = [p.id for p in store.values(PRODUCT)[:5]]
    for product_id in ids:
        service.update_product(store, frozen, product_id, {"stock": 7})
    first = service.changes_since(store, frozen, 3600, token, 3)
    assert [c.product_id for c in first.changes] == ids[:3] and first.has_more
    second = service.changes_since(store, frozen, 3600, first.next_token, 3)
    assert [c.product_id for c in second.changes] == ids[3:] and not second.has_more
    assert all(c.product.stock == 7 for c in first.changes + second.changes)
    empty = service.changes_since(store, frozen, 3600, second.next_token, 3)
    assert empty.changes == [] and empty.next_token == second.next_token


def test_tokens_from_before_a_purge_or_a_reset_expire(sim, frozen):
    from datetime import timedelta

    store = sim.store
    token = service.export_page(store, None, 1).sync_token
    service.delete_product(store, frozen, store.values(PRODUCT)[0].id)
    fresh = service.changes_since(store, frozen, 3600, token, 10).next_token
    frozen.advance(timedelta(hours=2))
    with raises(410, "SYNC_TOKEN_EXPIRED"):
        service.changes_since(store, frozen, 3600, token, 10)  # would miss the purged deletion
    assert service.changes_since(store, frozen, 3600, fresh, 10).changes == []
    sim.reset()
    with raises(410, "SYNC_TOKEN_EXPIRED"):
        service.changes_since(sim.store, sim.clock, 3600, fresh, 10)


def test_tokens_that_were_never_issued_are_refused(sim, frozen):
    from simulator.catalog.cursors import encode_sync_token

    ahead = encode_sync_token(sim.store.generation, 999)
    for token in ("garbage", ahead, "", "Zm9v"):
        with raises(422, "INVALID_SYNC_TOKEN"):
            service.changes_since(sim.store, frozen, 3600, token, 10)
    with raises(422, "INVALID_CURSOR"):
        service.export_page(sim.store, "bm9wZQ", 10)

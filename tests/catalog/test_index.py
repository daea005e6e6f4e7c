"""The read model answers every browse exactly as the reference scan does.

Random catalogs (few words, prices, dates and categories, so that ties, shared
prefixes and empty results are common), random creates, updates and deletes through
the catalog service, purged deletions, and random queries over every filter and sort.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.catalog import index, search, service
from simulator.catalog.model import CATEGORY, PRODUCT, Category, Product
from simulator.clock import Clock
from simulator.errors import DomainError
from simulator.store import InMemoryStore
from tests.catalog.reference import browse_by_scan

WORDS = ("Alpha", "alpha", "Alps", "Beta", "Gamma Ray", "T-Shirt", "Über", "ab", "abc", "b_c", "42")
BRANDS = ("", "Acme", "ACME", "Zeta-Works")
SKUS = ("2000000000001", "2000000000018", "2100000000002", "AB-12", "ab")
PRICES = tuple(Decimal(p) for p in ("0.49", "1.00", "1.5", "9.99", "10", "120.00"))
STAMPS = tuple(datetime(2026, 1, day, tzinfo=UTC) for day in (1, 2, 3))
#: Mostly whole terms (a query's words but the last must be whole), some prefixes, some misses.
QUERY_WORDS = ("alpha", "ALPS", "beta", "gamma", "ray", "t", "shirt", "T-Shirt", "über", "ab", "abc", "b_c", "42",
               "acme", "zeta", "works", "2000000000001", "12", "a", "al", "b", "ü", "2", "20000", "x", "-")
#: A small tree: two top-level categories, sub-categories, and one three levels deep.
TREE = (("cat_a", None), ("cat_a1", "cat_a"), ("cat_a1x", "cat_a1"), ("cat_a1y", "cat_a1"), ("cat_a2", "cat_a"),
        ("cat_b", None), ("cat_b1", "cat_b"))
CATEGORY_IDS = tuple(category_id for category_id, _ in TREE)


WALK_IS_CHEAPER = index.walk_is_cheaper
#: Stand-ins for the sorts of a build that tie unequal values (1.5 and 1.00; every date):
#: the build must find those ties out of order and sort them again.
COARSE_STAND_INS = {"price": lambda price: float(int(price)), "updated_at": lambda stamp: 0.0}


def make_categories() -> list[Category]:
    depth = {}
    categories = []
    for position, (category_id, parent) in enumerate(TREE):
        depth[category_id] = 1 if parent is None else depth[parent] + 1
        categories.append(Category(category_id, category_id, category_id, parent, depth[category_id], position))
    return categories


names = st.lists(st.sampled_from(WORDS), min_size=1, max_size=3).map(" ".join)
product_fields = st.fixed_dictionaries({
    "name": names,
    "brand": st.sampled_from(BRANDS),
    "sku": st.sampled_from(SKUS),
    "category_ids": st.lists(st.sampled_from(CATEGORY_IDS), min_size=1, max_size=2, unique=True),
    "price": st.sampled_from(PRICES),
    "stock": st.sampled_from((0, 0, 1, 5)),
})
changes = st.fixed_dictionaries({}, optional={
    "name": names,
    "brand": st.sampled_from(BRANDS),
    "category_ids": st.lists(st.sampled_from(CATEGORY_IDS), min_size=1, max_size=2, unique=True),
    "price": st.sampled_from(PRICES),
    "stock": st.sampled_from((0, 3)),
})
queries = st.builds(
    service.ProductQuery,
    category=st.none() | st.sampled_from(CATEGORY_IDS),
    q=st.none() | st.lists(st.sampled_from(QUERY_WORDS), max_size=3).map(" ".join),
    min_price=st.none() | st.sampled_from(PRICES),
    max_price=st.none() | st.sampled_from(PRICES),
    in_stock=st.none() | st.booleans(),
    sort=st.none() | st.sampled_from(sorted(index.SORTS)),
)
writes = st.one_of(
    st.tuples(st.just("create"), product_fields),
    st.tuples(st.just("update"), st.integers(0, 10**6), changes),
    st.tuples(st.just("delete"), st.integers(0, 10**6)),
    st.tuples(st.just("purge")),
    st.tuples(st.just("none")),
)
#: A write, then a query with its page and page size.
steps = st.tuples(writes, queries, st.integers(1, 5), st.integers(1, 8))


def seeded_store(rows: list[dict], stamps: list[datetime]) -> InMemoryStore:
    store = InMemoryStore(seed=1)
    store.load(CATEGORY, make_categories())
    products = []
    for fields, stamp in zip(rows, stamps):
        products.append(Product(
            id=store.new_id("prd"), description="", compare_at_price=None, tax_rate=Decimal("0.19"), weight_grams=1,
            attributes={}, image_count=1, created_at=stamp, updated_at=stamp, **{**fields, "category_ids": tuple(fields["category_ids"])},
        ))
    store.load(PRODUCT, products)
    return store


def assert_same_answer(store, query, page: int, page_size: int) -> None:
    try:
        expected = browse_by_scan(store, query, page, page_size)
    except DomainError:
        raise AssertionError("the reference never refuses a query") from None
    if query.min_price is not None and query.max_price is not None and query.min_price > query.max_price:
        with pytest.raises(DomainError):
            service.browse(store, query, page, page_size)
        return
    items, total = service.browse(store, query, page, page_size)
    assert ([p.id for p in items], total) == ([p.id for p in expected[0]], expected[1]), query
    assert all(store.get(PRODUCT, p.id) is p for p in items)  # the records as they are now


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    rows=st.lists(product_fields, max_size=60),
    stamps=st.lists(st.sampled_from(STAMPS), min_size=60, max_size=60),
    steps=st.lists(steps, min_size=3, max_size=25),
    set_advantage=st.sampled_from((0, search.SET_ADVANTAGE, 10**6)),
    walk=st.sampled_from((None, True, False)),
    stand_ins=st.sampled_from((index.STAND_INS, COARSE_STAND_INS)),
)
def test_index_answers_as_the_scan_does(rows, stamps, steps, set_advantage, walk, stand_ins, monkeypatch_module):
    # The read model's choices of how to answer (the term index's sets or the other
    # candidates; walking an order or sorting the matches) must never change the answer.
    monkeypatch_module.setattr(search, "SET_ADVANTAGE", set_advantage)
    monkeypatch_module.setattr(index, "STAND_INS", stand_ins)
    monkeypatch_module.setattr(index, "walk_is_cheaper", WALK_IS_CHEAPER if walk is None else lambda *_: walk)
    store = seeded_store(rows, stamps)
    clock = Clock()
    clock.set(datetime(2026, 1, 2, tzinfo=UTC))
    clock.freeze()
    for (kind, *args), query, page, page_size in steps:
        ids = [p.id for p in store.values(PRODUCT)]
        if kind == "create":
            service.create_product(store, clock, args[0])
        elif kind == "update" and ids:
            try:
                service.update_product(store, clock, ids[args[0] % len(ids)], args[1])
            except DomainError:
                pass  # refused (say, compare-at no longer above the price): nothing written
        elif kind == "delete" and ids:
            service.delete_product(store, clock, ids[args[0] % len(ids)])
        elif kind == "purge":
            store.purge_deletions(PRODUCT, clock.timestamp() + 1)
        assert_same_answer(store, query, page, page_size)
        clock.advance(timedelta(hours=12))
    for sort in (None, *index.SORTS):
        assert_same_answer(store, service.ProductQuery(sort=sort), 1, 100)


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


# -- what the property test does not reach -----------------------------------------------
def test_each_store_has_its_own_read_model(sim):
    old = sim.store
    assert index.read_model(old) is index.read_model(old)
    before, _ = service.browse(old, service.ProductQuery(sort="price"), 1, 5)
    sim.reset(seed=99)
    after, total = service.browse(sim.store, service.ProductQuery(sort="price"), 1, 5)
    assert index.read_model(sim.store) is not index.read_model(old)
    assert total == 200 and {p.id for p in after}.isdisjoint(p.id for p in before)


def test_a_logged_category_change_rebuilds_the_tree_and_the_lists(client, sim, frozen):
    store = sim.store
    top = service.category_tree(store)[0]["category"]
    assert service.category_tree(store) is service.category_tree(store)  # cached while nothing changes
    before = client.get("/api/v1/categories").get_json()
    child = Category("cat_newchild00", "New", f"{top.slug}/new", top.id, 2, 99)
    with store.atomic():
        store.put(CATEGORY, child)
        store.log_change(CATEGORY, child.id, deleted=False, at=frozen.timestamp())
    tree = service.category_tree(store)
    assert [node["category"].id for node in tree[0]["children"]][-1] == child.id
    after = client.get("/api/v1/categories").get_json()
    assert after[0]["children"][:-1] == before[0]["children"] and after[0]["children"][-1]["id"] == child.id
    created = service.create_product(store, frozen, {"name": "Lone Lamp", "category_ids": [child.id], "price": Decimal("5")})
    for category in (child.id, top.id):
        items, total = service.browse(store, service.ProductQuery(category=category, q="lone lamp"), 1, 10)
        assert [p.id for p in items] == [created.id] and total == 1


def test_every_product_write_reaches_the_index(sim, frozen):
    """Stock taken and returned by orders goes through the catalog service, like churn."""
    from simulator.catalog.stock import return_stock, take_stock
    from simulator.simulation import churn

    store = sim.store
    product = next(p for p in store.values(PRODUCT) if p.stock >= 2)
    in_stock = service.ProductQuery(in_stock=True, q=product.sku)
    assert service.browse(store, in_stock, 1, 5)[1] == 1
    with store.atomic():
        take_stock(store, frozen, {product.id: product.stock})
    assert service.browse(store, in_stock, 1, 5)[1] == 0
    return_stock(store, frozen, {product.id: 1})
    assert service.browse(store, in_stock, 1, 5)[1] == 1
    churn.apply_changes(store, frozen, 60)
    for query in (service.ProductQuery(sort="-price", in_stock=True), service.ProductQuery(q="a", sort="name")):
        assert service.browse(store, query, 2, 20) == browse_by_scan(store, query, 2, 20)


def test_the_lists_built_in_bulk_are_sound_sorted_lists(sim, frozen):
    """They are made without sortedcontainers' own sort (see sortedlists.presorted)."""
    from simulator.simulation import churn

    model = index.read_model(sim.store)
    churn.apply_changes(sim.store, frozen, 50)
    model.refresh()
    for keys in model._lists.values():
        keys._check()
        assert list(keys) == sorted(keys)

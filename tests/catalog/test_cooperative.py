"""A large catalog's reset, index build and broad searches let other requests run: they
pause between slices (`offload.cooperative_yield`), and answer as if they had not."""

from __future__ import annotations

import pytest

from simulator import offload
from simulator.catalog import index, search
from simulator.catalog.index import ProductQuery
from simulator.http.blueprints import EXTENSION
from tests.catalog.reference import browse_by_scan
from tests.test_offload import run_under_gevent

BROAD = (
    ProductQuery(q="a", sort="name"),  # a prefix that many terms begin: the products checked one by one
    ProductQuery(q="a", sort="-price", in_stock=True),
    ProductQuery(min_price=1, max_price=500, sort="name"),  # price bounds in another order
    ProductQuery(q="e"),
)


@pytest.fixture
def pauses(monkeypatch):
    """Slices of 16 items, and each pause recorded."""
    recorded = []
    monkeypatch.setattr(offload, "cooperative_yield", lambda: recorded.append("pause"))
    monkeypatch.setattr(index, "ITEMS_PER_PAUSE", 16)
    monkeypatch.setattr(search, "ITEMS_PER_PAUSE", 16)
    return recorded


def test_a_build_pauses_between_slices_and_builds_the_same_model(sim, pauses):
    model = index.CatalogReadModel(sim.store)
    model.refresh()
    assert len(pauses) >= 200 // 16 * 8  # every pass over the 200 products pauses, several passes a build
    for keys in model._lists.values():
        keys._check()
    unpaused = index.read_model(sim.store)  # built at start, in one go
    assert model._lists == unpaused._lists and model._terms._postings == unpaused._terms._postings
    assert list(model._terms._vocabulary) == list(unpaused._terms._vocabulary)


def test_the_first_catalog_is_built_straight_through_and_a_reset_pauses(make_app, pauses, monkeypatch):
    # The app is made before it serves: no request can be waiting for the first build.
    monkeypatch.setattr(offload, "under_gevent", lambda: True)
    monkeypatch.setattr(offload, "cooperative_yield", lambda: offload.pausing() and pauses.append("pause"))
    sim = make_app().extensions[EXTENSION]
    assert pauses == []
    sim.reset(seed=7)
    index.read_model(sim.store).refresh()  # after a reset, the store is seeded and indexed anew
    assert len(pauses) >= 200 // 16 * 8


@pytest.mark.parametrize("query", BROAD)
def test_broad_searches_pause_and_answer_as_a_scan_does(sim, pauses, query, monkeypatch):
    model = index.read_model(sim.store)
    model.refresh()
    monkeypatch.setattr(search, "SET_ADVANTAGE", 0)  # never by sets: the broad way, product by product
    pauses.clear()
    start, count = 5, 20
    products, total = model.browse(query, start, count)
    assert pauses, "a broad search over 200 products in slices of 16 pauses"
    by_scan, scanned_total = browse_by_scan(sim.store, query, 1, start + count)
    assert total == scanned_total and products == by_scan[start:]


def test_under_gevent_a_product_read_goes_on_while_a_reset_seeds_and_indexes():
    # The reset builds a new store in one greenlet while another reads a product of the old
    # one every millisecond: without pauses it would not read once until the reset ends.
    answer = run_under_gevent("""
        import time
        from simulator.catalog import index, service
        from simulator.catalog.model import PRODUCT
        from simulator.seed import seed_catalog
        from simulator.store import InMemoryStore

        old = InMemoryStore(1)
        seed_catalog(old, 50)
        product_id = old.values(PRODUCT)[0].id
        reads, resetting = [], [True]

        def reader():
            while resetting[0]:
                service.get_product(old, product_id)
                reads.append(time.perf_counter())
                gevent.sleep(0.001)

        def reset():
            new = InMemoryStore(2)
            seed_catalog(new, 20_000)
            index.read_model(new).refresh()
            resetting[0] = False

        gevent.spawn(reader)
        gevent.sleep(0.01)
        started = time.perf_counter()
        gevent.spawn(reset).join()
        took = time.perf_counter() - started
        during = [started] + [t for t in reads if t > started] + [time.perf_counter()]
        longest = max(b - a for a, b in zip(during, during[1:]))
        print(len(during) - 2 >= 20, longest < took / 3, len(during) - 2, round(longest, 3), round(took, 3))
    """)
    assert answer.startswith("True True"), answer

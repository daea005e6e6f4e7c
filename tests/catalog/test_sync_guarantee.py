"""The point of catalog sync: export + changes replay reproduces the live catalog,
however products are created, changed and deleted while the export runs."""

import json
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.catalog import service
from simulator.catalog.model import CATEGORY, PRODUCT
from simulator.catalog.serialize import product_to_dict
from simulator.http.blueprints import EXTENSION

mutation = st.tuples(st.sampled_from(["create", "price", "stock", "delete"]), st.integers(0, 10**9))
# A run: a page size, then for each export step the mutations made before it.
runs = st.tuples(st.integers(1, 60), st.lists(st.lists(mutation, max_size=6), min_size=1, max_size=12))


def mutate(sim, kind, pick):
    store, clock = sim.store, sim.clock
    ids = [p.id for p in store.values(PRODUCT)]
    if kind == "create" or not ids:
        leaf = next(c for c in store.values(CATEGORY) if c.level == 3)
        service.create_product(store, clock, {"name": f"New {pick}", "category_ids": [leaf.id], "price": Decimal("5.00")})
        return
    product_id = ids[pick % len(ids)]
    if kind == "delete":
        service.delete_product(store, clock, product_id)
    elif kind == "price":
        service.update_product(store, clock, product_id, {"price": Decimal(pick % 500 + 1), "compare_at_price": None})
    else:
        service.update_product(store, clock, product_id, {"stock": pick % 40})


def live(sim):
    return {p.id: product_to_dict(p, "EUR", "") for p in sim.store.values(PRODUCT)}


def replay(sim, replica, token, page_size):
    while True:
        page = service.changes_since(sim.store, sim.clock, 3600, token, page_size)
        for change in page.changes:
            if change.product is None:
                replica.pop(change.product_id, None)
            else:
                replica[change.product_id] = product_to_dict(change.product, "EUR", "")
        token = page.next_token
        if not page.has_more:
            return replica


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(run=runs)
def test_cursor_export_then_changes_reproduces_the_live_catalog(run, make_app):
    page_size, steps = run
    app = make_app(products=80)
    sim = app.extensions[EXTENSION]
    replica, cursor, token = {}, None, None
    for before_page in steps + [[]] * 200:
        for kind, pick in before_page:
            mutate(sim, kind, pick)
        page = service.export_page(sim.store, cursor, page_size)
        token = token or page.sync_token
        assert page.sync_token == token
        replica.update({p.id: product_to_dict(p, "EUR", "") for p in page.items})
        cursor = page.next_cursor
        if cursor is None:
            break
    for kind, pick in steps[-1]:  # and the catalog keeps moving after the export
        mutate(sim, kind, pick)
    assert replay(sim, replica, token, page_size) == live(sim)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.lists(mutation, max_size=8), min_size=1, max_size=6))
def test_streamed_ndjson_export_then_changes_reproduces_the_live_catalog(steps, make_app):
    app = make_app(products=1200)
    sim = app.extensions[EXTENSION]
    client = app.test_client()
    response = client.get("/api/v1/catalog/export", headers={"Accept": "application/x-ndjson"}, buffered=False)
    assert response.mimetype == "application/x-ndjson"
    lines, pending = [], list(steps)
    for chunk in response.response:  # the stream is produced lazily: mutate between chunks
        lines += chunk.decode().splitlines() if isinstance(chunk, bytes) else chunk.splitlines()
        for kind, pick in pending.pop(0) if pending else []:
            mutate(sim, kind, pick)
    response.close()
    records = [json.loads(line) for line in lines]
    token = records[-1]["sync_token"]
    replica = {r["id"]: {**r, "images": []} for r in records[:-1]}
    expected = {k: {**v, "images": []} for k, v in live(sim).items()}
    assert {k: {**v, "images": []} for k, v in replay(sim, replica, token, 50).items()} == expected

"""Catalog webservices through HTTP."""

import json

from simulator.catalog.model import CATEGORY, PRODUCT
from tests.helpers.problems import assert_problem


def test_category_tree_nests_children(client, sim):
    tree = client.get("/api/v1/categories").get_json()
    assert len(tree) == len([c for c in sim.store.values(CATEGORY) if c.level == 1])
    leaves = [leaf for top in tree for mid in top["children"] for leaf in mid["children"]]
    assert leaves and all(leaf["level"] == 3 and leaf["children"] == [] for leaf in leaves)
    assert all(mid["parent_id"] == top["id"] for top in tree for mid in top["children"])


def test_browse_paginates_with_x_pagination(client):
    response = client.get("/api/v1/products?page=3&page_size=15")
    assert response.status_code == 200
    assert len(response.get_json()) == 15
    meta = json.loads(response.headers["X-Pagination"])
    assert meta == {"total": 200, "total_pages": 14, "first_page": 1, "last_page": 14, "page": 3, "previous_page": 2, "next_page": 4}
    assert len(client.get("/api/v1/products").get_json()) == 20  # default page size
    assert client.get("/api/v1/products?page=99").get_json() == []


def test_browse_filters_and_sorts_through_query_args(client, sim):
    response = client.get("/api/v1/products?min_price=10&max_price=60.5&in_stock=true&sort=-price&page_size=100")
    items = response.get_json()
    prices = [float(p["price"]["amount"]) for p in items]
    assert prices == sorted(prices, reverse=True)
    assert all(10 <= price <= 60.5 for price in prices) and all(p["in_stock"] for p in items)
    expected = [p for p in sim.store.values(PRODUCT) if 10 <= p.price <= 60.5 and p.stock > 0]
    assert json.loads(response.headers["X-Pagination"])["total"] == len(expected)


def test_product_detail_with_etag_and_304(client, sim):
    product = sim.store.values(PRODUCT)[3]
    response = client.get(f"/api/v1/products/{product.id}")
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == product.id and body["version"] == product.version
    assert body["price"] == {"amount": f"{product.price:.2f}", "currency": "EUR"}
    assert response.headers["ETag"] == f'"{product.version}"'
    cached = client.get(f"/api/v1/products/{product.id}", headers={"If-None-Match": response.headers["ETag"]})
    assert cached.status_code == 304 and cached.data == b""
    stale = client.get(f"/api/v1/products/{product.id}", headers={"If-None-Match": '"0"'})
    assert stale.status_code == 200


def test_unknown_product_is_404(client):
    assert_problem(client.get("/api/v1/products/prd_000000000000"), 404, "PRODUCT_NOT_FOUND")


def test_product_images_are_served_locally(client, sim):
    body = client.get(f"/api/v1/products/{sim.store.values(PRODUCT)[0].id}").get_json()
    assert body["images"] and all(url.startswith("http://127.0.0.1:8000/media/products/") for url in body["images"])
    image = client.get(body["images"][0].removeprefix("http://127.0.0.1:8000"))
    assert image.status_code == 200 and image.mimetype == "image/svg+xml" and b"<svg" in image.data
    assert_problem(client.get(body["images"][0].replace(".svg", "").rsplit("/", 1)[0] + "/99.svg"), 404, "IMAGE_NOT_FOUND")


def test_export_cursor_pages_then_changes(client, sim):
    ids, cursor, tokens = [], None, set()
    while True:
        body = client.get("/api/v1/catalog/export", query_string={"limit": 90, **({"cursor": cursor} if cursor else {})}).get_json()
        ids += [p["id"] for p in body["items"]]
        tokens.add(body["sync_token"])
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert ids == [p.id for p in sim.store.values(PRODUCT)] and len(tokens) == 1
    changed = sim.store.values(PRODUCT)[10]
    patch = client.patch(f"/_sim/products/{changed.id}", json={"stock": 0})
    assert patch.status_code == 200
    feed = client.get("/api/v1/catalog/changes", query_string={"since": tokens.pop()}).get_json()
    assert [(c["type"], c["product_id"], c["product"]["stock"]) for c in feed["changes"]] == [("upsert", changed.id, 0)]
    assert feed["has_more"] is False
    client.delete(f"/_sim/products/{changed.id}")
    after = client.get("/api/v1/catalog/changes", query_string={"since": feed["next_token"]}).get_json()
    assert after["changes"] == [{"seq": after["changes"][0]["seq"], "type": "delete", "product_id": changed.id}]


def test_ndjson_export_streams_every_product_then_the_token(client, sim):
    response = client.get("/api/v1/catalog/export", headers={"Accept": "application/x-ndjson"})
    assert response.mimetype == "application/x-ndjson"
    lines = response.get_data(as_text=True).splitlines()
    assert len(lines) == 201
    assert [json.loads(line)["id"] for line in lines[:-1]] == [p.id for p in sim.store.values(PRODUCT)]
    token = json.loads(lines[-1])["sync_token"]
    assert client.get("/api/v1/catalog/changes", query_string={"since": token}).get_json()["changes"] == []


def test_reset_expires_old_tokens_and_cursors(client):
    first = client.get("/api/v1/catalog/export?limit=10").get_json()
    assert client.post("/_sim/reset", json={}).status_code == 200
    assert_problem(client.get("/api/v1/catalog/changes", query_string={"since": first["sync_token"]}), 410, "SYNC_TOKEN_EXPIRED")
    assert_problem(client.get("/api/v1/catalog/export", query_string={"cursor": first["next_cursor"]}), 410, "EXPORT_CURSOR_EXPIRED")


def test_the_simulator_shows_the_latest_changes_as_the_feed_carries_them(client, sim):
    token = client.get("/api/v1/catalog/export", query_string={"limit": 1}).get_json()["sync_token"]
    first, second, third = sim.store.values(PRODUCT)[:3]
    client.patch(f"/_sim/products/{first.id}", json={"stock": 1})
    client.patch(f"/_sim/products/{second.id}", json={"stock": 2})
    client.patch(f"/_sim/products/{first.id}", json={"stock": 3})  # coalesced: the feed carries first once
    client.delete(f"/_sim/products/{third.id}")
    feed = client.get("/api/v1/catalog/changes", query_string={"since": token}).get_json()["changes"]
    latest = client.get("/_sim/catalog/changes?limit=4").get_json()
    assert latest["last_seq"] == feed[-1]["seq"]
    assert [(c["seq"], c["type"], c["product_id"]) for c in latest["changes"]] == [
        (c["seq"], c["type"], c["product_id"]) for c in reversed(feed)]
    assert latest["changes"][1]["product"]["stock"] == 3 and "product" not in latest["changes"][0]
    assert all(c["at"].endswith("Z") for c in latest["changes"])
    assert [c["product_id"] for c in client.get("/_sim/catalog/changes?limit=1").get_json()["changes"]] == [third.id]
    assert_problem(client.get("/_sim/catalog/changes?limit=0"), 422)


def test_recent_json_is_the_json_of_the_current_record(client, sim, frozen):
    from decimal import Decimal

    import orjson

    from simulator.catalog import service
    from simulator.catalog.serialize import RecentJson, product_to_dict

    store = sim.store
    products = store.values(PRODUCT)[:3]
    recent = RecentJson(size=2)  # smaller than what it is asked for: starts afresh, still right
    for _ in range(2):
        assert recent.products(products, "EUR", "http://h") == orjson.dumps([product_to_dict(p, "EUR", "http://h") for p in products])
    assert recent.product(products[0], "USD", "http://h") == orjson.dumps(product_to_dict(products[0], "USD", "http://h"))

    first = client.get("/api/v1/products?sort=price").get_json()[0]
    client.get(f"/api/v1/products/{first['id']}")
    service.update_product(store, frozen, first["id"], {"price": Decimal("0.01")})
    assert client.get(f"/api/v1/products/{first['id']}").get_json()["price"]["amount"] == "0.01"
    again = client.get("/api/v1/products?sort=price").get_json()[0]
    assert again["id"] == first["id"] and again["price"]["amount"] == "0.01" and again["version"] == first["version"] + 1


def test_recent_json_holds_about_the_size_of_its_json(sim):
    """orjson's bytes keep the 8 KB buffer they were written into; a cache of them would
    hold eight times what it seems to."""
    import tracemalloc

    from simulator.catalog.serialize import RecentJson

    products = sim.store.values(PRODUCT)[:200]
    recent = RecentJson(size=1000)
    tracemalloc.start()
    try:
        size = sum(len(recent.product(p, "EUR", "http://h")) for p in products)
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert held < 2 * size

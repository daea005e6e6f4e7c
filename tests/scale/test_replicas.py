"""The guarantees that must hold however many replicas serve: run against one in-memory
worker and against two servers sharing one Redis, requests alternating between them."""

from __future__ import annotations

import threading
import time
import uuid

from tests.helpers.accounts import PASSWORD
from tests.helpers.receiver import Receiver
from tests.helpers.shopping import CARD_OK, INLINE_DE


def register(shared, index: int | None = None) -> dict:
    response = shared.call("post", "/api/v1/customers", index, json={
        "email": f"r{uuid.uuid4().hex[:12]}@example.org", "password": PASSWORD, "first_name": "Rep", "last_name": "Lica"})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def some_product(shared, index: int = 0) -> dict:
    return shared.call("get", "/api/v1/products?in_stock=true&max_price=90&page_size=1", index).json()[0]


def race(count: int, work) -> list:
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index: int) -> None:
        barrier.wait(30)
        results[index] = work(index)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads)
    return results


def test_export_then_changes_reproduce_the_catalog_while_it_churns(shared):
    token = None
    catalog: dict[str, dict] = {}
    cursor = None
    page = 0
    while True:  # the export from one replica, churn through the other between pages
        query = f"/api/v1/catalog/export?limit=50{f'&cursor={cursor}' if cursor else ''}"
        answer = shared.call("get", query, 0).json()
        token = token or answer["sync_token"]
        catalog.update({item["id"]: item for item in answer["items"]})
        assert shared.call("post", "/_sim/churn/run", 1, json={"changes": 15}).status_code == 200
        page += 1
        cursor = answer["next_cursor"]
        if cursor is None:
            break
    since = token
    while True:  # the changes from the other replica
        answer = shared.call("get", f"/api/v1/catalog/changes?since={since}&limit=100", 1).json()
        for change in answer["changes"]:
            if change["type"] == "delete":
                catalog.pop(change["product_id"], None)
            else:
                catalog[change["product_id"]] = change["product"]
        since = answer["next_token"]
        if not answer["has_more"]:
            break
    live: dict[str, dict] = {}
    cursor = None
    while True:
        answer = shared.call("get", f"/api/v1/catalog/export?limit=1000{f'&cursor={cursor}' if cursor else ''}", 0).json()
        live.update({item["id"]: item for item in answer["items"]})
        cursor = answer["next_cursor"]
        if cursor is None:
            break
    assert catalog == live


def _ready_checkout(shared, headers: dict, product_id: str, index: int) -> str:
    assert shared.call("post", "/api/v1/basket/items", index, json={"product_id": product_id, "quantity": 1}, headers=headers).status_code == 200
    checkout = shared.call("post", "/api/v1/checkout", index + 1, json={}, headers=headers).json()["id"]
    for path, body in (("shipping-address", {"address": INLINE_DE}), ("billing-address", {"same_as_shipping": True}),
                       ("payment-type", {"payment_type": "card"}), ("delivery-option", {"delivery_option_id": "dhl-standard"})):
        assert shared.call("put", f"/api/v1/checkout/{checkout}/{path}", index, json=body, headers=headers).status_code == 200
    assert shared.call("post", f"/api/v1/checkout/{checkout}/payment", index + 1, json={"card": CARD_OK}, headers=headers).status_code == 200
    return checkout


def test_racers_on_every_replica_never_oversell_the_last_units(shared):
    product = some_product(shared)
    buyers = [register(shared, i) for i in range(8)]
    checkouts = [_ready_checkout(shared, headers, product["id"], i) for i, headers in enumerate(buyers)]
    assert shared.call("patch", f"/_sim/products/{product['id']}", json={"stock": 3}).status_code == 200

    def buy(index: int) -> int:
        return shared.call("post", f"/api/v1/checkout/{checkouts[index]}/order", index, json={}, headers=buyers[index]).status_code

    statuses = race(len(buyers), buy)
    assert sorted(statuses).count(201) == 3, statuses
    assert set(statuses) <= {201, 409}
    assert shared.call("get", f"/api/v1/products/{product['id']}", 1).json()["stock"] == 0


def test_one_order_per_idempotency_key_across_replicas(shared):
    headers = register(shared)
    checkout = _ready_checkout(shared, headers, some_product(shared)["id"], 0)
    key = {"Idempotency-Key": f"once-{uuid.uuid4().hex}"}

    def place(index: int):
        response = shared.call("post", f"/api/v1/checkout/{checkout}/order", index, json={}, headers={**headers, **key})
        return response.status_code, response.json().get("id")

    results = race(6, place)
    placed = {order_id for status, order_id in results if status in (200, 201)}
    assert len(placed) == 1, results
    assert {status for status, _ in results} <= {200, 201, 409}
    orders = shared.call("get", "/api/v1/orders", 1, headers=headers).json()
    assert [order["id"] for order in orders] == list(placed)


def test_failed_logins_are_counted_across_replicas(shared):
    email = f"lock{uuid.uuid4().hex[:8]}@example.org"
    registration = {"email": email, "password": PASSWORD, "first_name": "L", "last_name": "O"}
    assert shared.call("post", "/api/v1/customers", json=registration).status_code == 201
    for index in range(5):
        assert shared.call("post", "/api/v1/auth/login", index, json={"email": email, "password": "wrong guess"}).status_code == 401
    for index in range(2):
        assert shared.call("post", "/api/v1/auth/login", index, json={"email": email, "password": PASSWORD}).status_code == 429


def test_fifty_concurrent_adds_split_across_replicas_lose_none(shared):
    headers = register(shared)
    product = some_product(shared)
    assert shared.call("patch", f"/_sim/products/{product['id']}", json={"stock": 500}).status_code == 200

    def add(index: int) -> int:
        return shared.call("post", "/api/v1/basket/items", index, json={"product_id": product["id"], "quantity": 1}, headers=headers).status_code

    assert race(50, add) == [200] * 50
    basket = shared.call("get", "/api/v1/basket", 1, headers=headers).json()
    assert basket["lines"][0]["quantity"] == 50
    version = basket["version"]
    stale = shared.call("post", "/api/v1/basket/items", 0, json={"product_id": product["id"], "quantity": 1},
                        headers={**headers, "If-Match": f'"{version - 1}"'})
    assert stale.status_code == 412
    fresh = shared.call("post", "/api/v1/basket/items", 1, json={"product_id": product["id"], "quantity": 1},
                        headers={**headers, "If-Match": f'"{version}"'})
    assert fresh.status_code == 200 and fresh.json()["version"] == version + 1


def test_clock_and_config_changes_are_seen_by_every_replica(shared):
    frozen = shared.call("post", "/_sim/clock", 0, json={"action": "freeze"}).json()
    advanced = shared.call("post", "/_sim/clock", 1, json={"action": "advance", "seconds": 3600}).json()
    assert advanced["frozen"] and advanced["now"] > frozen["now"]
    for index in range(2):
        assert shared.call("get", "/_sim/clock", index).json() == advanced
    patched = shared.call("patch", "/_sim/config", 0, json={"faults": {"groups": {"browse": {"error_rate": 1.0}}}})
    assert patched.status_code == 200, patched.text
    for index in range(2):
        assert shared.call("get", "/api/v1/products/none", index).headers.get("X-Sim-Injected") == "503"
    shared.call("patch", "/_sim/config", 1, json={"faults": {"groups": {"browse": None}}})
    for index in range(2):
        assert shared.call("get", "/api/v1/categories", index).status_code == 200
    # Each worker publishes its counts every second: within a few, the stats hold both.
    deadline = time.monotonic() + 5
    while (injected := shared.call("get", "/_sim/stats", 0).json()["groups"]["browse"]["injected"]) != {"503": 2}:
        assert time.monotonic() < deadline, injected
        time.sleep(0.2)


def test_each_webhook_event_is_delivered_once(shared):
    with Receiver() as receiver:
        key = shared.call("post", "/_sim/integration-keys", 0, json={"name": "replicas"}).json()["key"]
        created = shared.call("post", "/api/v1/webhooks", 0, json={"url": receiver.url(), "events": ["product.updated"]},
                              headers={"Authorization": f"Bearer {key}"})
        assert created.status_code == 201, created.text
        product = some_product(shared)
        for index in range(10):
            assert shared.call("patch", f"/_sim/products/{product['id']}", index, json={"stock": 10 + index}).status_code == 200
        received = receiver.wait_for(10, timeout=20)
        time.sleep(1.0)  # anything sent twice would arrive by now
        event_ids = [request["headers"]["X-Event-Id"] for request in receiver.received]
    assert len(received) == 10 and len(event_ids) == len(set(event_ids)) == 10


def test_a_reset_through_one_replica_is_seen_by_every_replica(shared):
    headers = register(shared, 0)
    assert shared.call("get", "/api/v1/customers/me", 1, headers=headers).status_code == 200
    assert shared.call("post", "/_sim/reset", 1, json={"products": 120}).json()["products"] == 120
    for index in range(2):
        assert shared.call("get", "/api/v1/customers/me", index, headers=headers).status_code == 401
        assert shared.call("get", "/api/v1/products", index).headers["X-Pagination"].count('"total": 120') == 1


def test_integration_keys_outlive_a_reset_on_every_replica(shared):
    key = {"Authorization": "Bearer " + shared.call("post", "/_sim/integration-keys", 0, json={"name": "team"}).json()["key"]}
    subscription = {"url": "http://127.0.0.1:9/hook", "events": ["product.updated"]}
    assert shared.call("post", "/api/v1/webhooks", 1, json=subscription, headers=key).status_code == 201
    assert shared.call("post", "/_sim/reset", 1, json={}).status_code == 200
    for index in range(2):  # the key still works everywhere; its subscription went with the reset
        listed = shared.call("get", "/api/v1/webhooks", index, headers=key)
        assert listed.status_code == 200 and listed.json() == [], listed.text


def test_a_rule_change_through_one_replica_shows_at_once_on_every_replica(shared):
    product = some_product(shared)
    token = shared.call("post", "/api/v1/baskets", 0).json()["token"]
    guest = {"X-Basket-Token": token}
    shared.call("post", "/api/v1/basket/items", 0, json={"product_id": product["id"], "quantity": 1}, headers=guest)

    def seen(index: int) -> tuple[list[str], list[str]]:
        names = [p["name"] for p in shared.call("get", "/api/v1/promotions?page_size=100", index).json()]
        applied = [p["name"] for p in shared.call("get", "/api/v1/basket", index, headers=guest).json()["promotions"]]
        return names, applied

    before = [seen(index) for index in range(2)]  # each replica keeps what it read
    rule = {"name": "Everything 10 % off", "kind": "basket_percent", "percent": "10", "priority": 1000}
    assert shared.call("post", "/_sim/promotions", 0, json=rule).status_code == 201
    for index in range(2):
        names, applied = seen(index)
        assert names == ["Everything 10 % off", *before[index][0]]
        assert applied[0] == "Everything 10 % off"

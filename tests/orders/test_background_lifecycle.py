"""Orders move along by themselves: status events go out when due, read or not."""

import json
import time
from datetime import timedelta

import requests

from simulator.orders import service
from tests.helpers.receiver import Receiver
from tests.helpers.server import running_server
from tests.helpers.shopping import CARD_OK, INLINE_DE


def test_a_lifecycle_tick_moves_only_live_orders(shopper, products, sim, frozen):
    shopper.add(products[0])
    checkout = shopper.open()
    shopper.ready_to_pay(checkout)
    shopper.pay(checkout)
    order_id = shopper.order(checkout).get_json()["id"]
    seeded = {o.id: o.status for o in sim.store.values("order") if not o.auto_progress}
    frozen.advance(timedelta(seconds=sim.settings.order_seconds_to_paid))
    assert service.lifecycle_tick(sim.store, frozen, service.OrderTimings.from_settings(sim.settings)) == 1
    assert sim.store.get("order", order_id).status == "paid"
    assert {o.id: o.status for o in sim.store.values("order") if not o.auto_progress} == seeded


def test_the_server_pushes_status_changes_nobody_asked_for():
    settings = {"SIM_PRODUCTS": "50", "SIM_CUSTOMERS": "5", "SIM_PASSWORD_HASH_PROFILE": "fast",
                "SIM_CHURN_PER_MINUTE": "0", "SIM_ORDER_SECONDS_TO_PAID": "1", "SIM_ORDER_SECONDS_TO_PROCESSING": "1"}
    with Receiver() as receiver, running_server(**settings) as base:
        key = requests.post(f"{base}/_sim/integration-keys", json={"name": "orders"}).json()["key"]
        hook = requests.post(f"{base}/api/v1/webhooks", json={"url": receiver.url("/o"), "events": ["order.status_changed"]},
                             headers={"Authorization": f"Bearer {key}"})
        assert hook.status_code == 201
        session = requests.Session()
        token = session.post(f"{base}/api/v1/auth/login", json={"email": "customer1@example.test", "password": "alegra-sim-2026"}).json()["token"]
        session.headers["Authorization"] = f"Bearer {token}"
        product = session.get(f"{base}/api/v1/products", params={"in_stock": "true", "max_price": "100"}).json()[0]
        session.post(f"{base}/api/v1/basket/items", json={"product_id": product["id"]})
        checkout = session.post(f"{base}/api/v1/checkout", json={}).json()["id"]
        for path, body in (("shipping-address", {"address": INLINE_DE}), ("billing-address", {"same_as_shipping": True}),
                           ("payment-type", {"payment_type": "card"}), ("delivery-option", {"delivery_option_id": "dhl-standard"})):
            session.put(f"{base}/api/v1/checkout/{checkout}/{path}", json=body)
        session.post(f"{base}/api/v1/checkout/{checkout}/payment", json={"card": CARD_OK})
        order = session.post(f"{base}/api/v1/checkout/{checkout}/order", json={}).json()
        deadline = time.monotonic() + 15  # nobody reads the order from here on
        while time.monotonic() < deadline and len(receiver.received) < 2:
            time.sleep(0.2)
        statuses = [json.loads(item["body"])["data"]["status"] for item in receiver.received]
    assert statuses[:2] == ["paid", "processing"], statuses
    assert all(json.loads(item["body"])["resource"]["id"] == order["id"] for item in receiver.received)

"""Domain faults in checkout (card declined, sold out, price changed) and order push events."""

import json
from datetime import timedelta

import pytest

from simulator.catalog.model import PRODUCT
from simulator.webhooks import dispatcher as webhooks
from tests.helpers.problems import assert_problem
from tests.helpers.receiver import Receiver
from tests.helpers.shopping import CARD_OK


@pytest.fixture
def ready(shopper, products):
    shopper.add(products[0])
    checkout = shopper.open()
    shopper.ready_to_pay(checkout)
    return shopper, checkout


def test_card_declined_on_demand_even_for_a_good_card(ready):
    shopper, checkout = ready
    response = shopper.call("post", f"/api/v1/checkout/{checkout}/payment", json={"card": CARD_OK}, extra={"X-Sim-Fault": "card_declined"})
    assert_problem(response, 402, "PAYMENT_DECLINED")
    assert shopper.pay(checkout)["payment"]["state"] == "authorized"  # without the header it goes through


def test_a_product_sells_out_just_before_the_order(ready, products, sim):
    shopper, checkout = ready
    shopper.pay(checkout)
    assert_problem(shopper.call("post", f"/api/v1/checkout/{checkout}/order", json={}, extra={"X-Sim-Fault": "sold_out"}), 409, "INSUFFICIENT_STOCK")
    assert sim.store.get(PRODUCT, products[0].id).stock == 0


def test_a_price_changes_just_before_the_order(ready, products, sim):
    shopper, checkout = ready
    shopper.pay(checkout)
    assert_problem(shopper.call("post", f"/api/v1/checkout/{checkout}/order", json={}, extra={"X-Sim-Fault": "price_changed"}), 409, "CHECKOUT_OUTDATED")
    assert sim.store.get(PRODUCT, products[0].id).price == products[0].price + 1


def test_configured_rates_decline_cards(client, ready):
    shopper, checkout = ready
    assert client.patch("/_sim/config", json={"faults": {"domain": {"card_declined": 1.0}}}).status_code == 200
    assert_problem(shopper.call("post", f"/api/v1/checkout/{checkout}/payment", json={"card": CARD_OK}), 402, "PAYMENT_DECLINED")
    stats = client.get("/_sim/stats").get_json()
    assert "card_declined" in json.dumps(stats)


def test_order_events_are_pushed(client, sim, ready, long_sessions):
    shopper, checkout = ready
    sim.clock.freeze()
    with Receiver() as receiver:
        key = client.post("/_sim/integration-keys", json={"name": "orders"}).get_json()["key"]
        hook = client.post("/api/v1/webhooks", headers={"Authorization": f"Bearer {key}"},
                           json={"url": receiver.url("/orders"), "events": ["order.created", "order.status_changed", "order.cancelled"]})
        assert hook.status_code == 201, hook.get_json()
        shopper.pay(checkout)
        order = shopper.order(checkout).get_json()
        sim.clock.advance(timedelta(seconds=sim.settings.order_seconds_to_paid))
        shopper.call("get", f"/api/v1/orders/{order['id']}")
        shopper.call("post", f"/api/v1/orders/{order['id']}/cancel", json={"reason": "test"})
        for _ in range(5):
            webhooks.deliver_due(sim)
        received = [json.loads(item["body"]) for item in receiver.received]
    assert [(e["type"], e["data"]["status"]) for e in received] == [
        ("order.created", "placed"), ("order.status_changed", "paid"), ("order.cancelled", "cancelled"),
    ]
    assert all(e["resource"] == {"type": "order", "id": order["id"]} for e in received)

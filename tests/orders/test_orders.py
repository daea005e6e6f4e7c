"""Orders: lifecycle on the simulator clock, cancelling, listing, seeded history."""

import json
from collections import Counter
from datetime import timedelta

import pytest

from simulator.catalog.model import PRODUCT
from simulator.clock import parse_rfc3339
from tests.helpers.problems import assert_problem
from tests.helpers.shopping import Shopper, register_shopper

pytestmark = pytest.mark.usefixtures("long_sessions")


def place(shopper, products, payment_type="card", quantity=1):
    return shopper.place(products[0], payment_type, quantity)


def test_the_lifecycle_follows_the_simulated_clock(shopper, products, frozen, sim):
    order = place(shopper, products)
    get = lambda: shopper.call("get", f"/api/v1/orders/{order['id']}").get_json()  # noqa: E731
    timings = sim.settings
    frozen.advance(timedelta(seconds=timings.order_seconds_to_paid))
    assert get()["status"] == "paid"
    frozen.advance(timedelta(days=10))  # a long jump: every due step happens, each at its due time
    body = get()
    assert [c["status"] for c in body["status_history"]] == ["placed", "paid", "processing", "shipped", "delivered"]
    stamps = [parse_rfc3339(c["at"]) for c in body["status_history"]]
    gaps = [(b - a).total_seconds() for a, b in zip(stamps, stamps[1:])]
    assert gaps == [timings.order_seconds_to_paid, timings.order_seconds_to_processing, timings.order_seconds_to_shipped, timings.order_seconds_to_delivered]
    assert body["payment"]["state"] == "captured"


def test_reading_an_order_takes_the_store_lock_only_when_a_status_is_due(shopper, products, frozen, sim, monkeypatch):
    """A read that finds nothing due goes without the lock (on Redis it is shared by every
    worker, and every order read took it); a due status is still moved under it."""
    order = place(shopper, products)
    sections = []
    atomic = sim.store.atomic
    monkeypatch.setattr(sim.store, "atomic", lambda: sections.append(1) or atomic())
    read = lambda url: shopper.call("get", url).get_json()  # noqa: E731
    assert read(f"/api/v1/orders/{order['id']}")["status"] == "placed"
    assert [o["status"] for o in read("/api/v1/orders")] == ["placed"]
    assert sections == []
    frozen.advance(timedelta(seconds=sim.settings.order_seconds_to_paid))
    assert read(f"/api/v1/orders/{order['id']}")["status"] == "paid"
    assert sections


def test_cash_on_delivery_is_paid_on_delivery(shopper, products, frozen):
    order = place(shopper, products, payment_type="cash_on_delivery")
    frozen.advance(timedelta(days=10))
    body = shopper.call("get", f"/api/v1/orders/{order['id']}").get_json()
    assert [c["status"] for c in body["status_history"]] == ["placed", "processing", "shipped", "delivered"]
    assert body["payment"]["state"] == "captured"


def test_an_unpaid_bank_transfer_is_cancelled_in_time_and_stock_returns(shopper, products, frozen, sim):
    before = sim.store.get(PRODUCT, products[0].id).stock
    order = place(shopper, products, payment_type="bank_transfer", quantity=2)
    assert sim.store.get(PRODUCT, products[0].id).stock == before - 2
    frozen.advance(timedelta(seconds=sim.settings.bank_transfer_timeout_seconds + 1))
    body = shopper.call("get", f"/api/v1/orders/{order['id']}").get_json()
    assert body["status"] == "cancelled" and body["cancel_reason"] == "no payment received in time"
    assert body["payment"]["state"] == "voided" and body["payment"]["refunded"] is None  # no money is awaited any more
    assert sim.store.get(PRODUCT, products[0].id).stock == before


@pytest.mark.parametrize("advance, status, refunded", [
    (0, "placed", None),
    (60, "paid", True),
    (60 + 1800, "processing", True),
])
def test_cancel_returns_stock_refunds_a_paid_order_and_mails(client, shopper, products, frozen, sim, advance, status, refunded):
    before = sim.store.get(PRODUCT, products[0].id).stock
    order = place(shopper, products, quantity=3)
    frozen.advance(timedelta(seconds=advance))
    assert shopper.call("get", f"/api/v1/orders/{order['id']}").get_json()["status"] == status
    body = shopper.call("post", f"/api/v1/orders/{order['id']}/cancel", json={"reason": "found it cheaper"}).get_json()
    assert body["status"] == "cancelled" and body["cancel_reason"] == "found it cheaper"
    assert sim.store.get(PRODUCT, products[0].id).stock == before
    assert (body["payment"]["refunded"] is not None) == bool(refunded)
    assert body["payment"]["state"] == ("refunded" if refunded else "voided")
    mails = client.get("/_sim/outbox", query_string={"recipient": order["email"]}).get_json()
    assert mails[0]["subject"] == f"Order {order['number']} cancelled"


def test_cancel_an_awaiting_payment_order(shopper, products):
    order = place(shopper, products, payment_type="bank_transfer")
    assert shopper.call("post", f"/api/v1/orders/{order['id']}/cancel", json={"reason": "no longer needed"}).get_json()["status"] == "cancelled"


@pytest.mark.parametrize("days", [2, 10])
def test_shipped_or_delivered_orders_cannot_be_cancelled(shopper, products, frozen, days, sim):
    order = place(shopper, products)
    frozen.advance(timedelta(days=days))
    before = sim.store.get(PRODUCT, products[0].id).stock
    body = assert_problem(shopper.call("post", f"/api/v1/orders/{order['id']}/cancel", json={"reason": "late"}), 409, "ORDER_NOT_CANCELLABLE")
    assert body["order_status"] in ("shipped", "delivered")
    assert sim.store.get(PRODUCT, products[0].id).stock == before
    assert_problem(shopper.call("post", f"/api/v1/orders/{order['id']}/cancel", json={}), 422)


def test_list_newest_first_filter_and_paginate(shopper, products, frozen):
    ids = []
    for _ in range(3):
        ids.append(place(shopper, products)["id"])
        frozen.advance(timedelta(seconds=5))
    shopper.call("post", f"/api/v1/orders/{ids[1]}/cancel", json={"reason": "duplicate"})
    listed = shopper.call("get", "/api/v1/orders?page_size=2")
    assert [o["id"] for o in listed.get_json()] == [ids[2], ids[1]]
    assert json.loads(listed.headers["X-Pagination"])["total"] == 3
    cancelled = shopper.call("get", "/api/v1/orders?status=cancelled").get_json()
    assert [o["id"] for o in cancelled] == [ids[1]]
    assert_problem(shopper.call("get", "/api/v1/orders?status=lost"), 422)


def test_an_order_is_found_by_its_number_too(shopper, products):
    """Found in review: the number in the confirmation mail (`AS-100042`) found nothing."""
    order = place(shopper, products)
    assert shopper.call("get", f"/api/v1/orders/{order['number']}").get_json() == order
    cancelled = shopper.call("post", f"/api/v1/orders/{order['number']}/cancel", json={"reason": "typo"}).get_json()
    assert cancelled["id"] == order["id"] and cancelled["status"] == "cancelled"
    assert_problem(shopper.call("get", "/api/v1/orders/AS-1"), 404, "ORDER_NOT_FOUND")


def test_orders_are_private(client, shopper, products):
    order = place(shopper, products)
    stranger = Shopper(client, register_shopper(client))
    assert_problem(stranger.call("get", f"/api/v1/orders/{order['number']}"), 404, "ORDER_NOT_FOUND")
    assert_problem(stranger.call("get", f"/api/v1/orders/{order['id']}"), 404, "ORDER_NOT_FOUND")
    assert_problem(stranger.call("post", f"/api/v1/orders/{order['id']}/cancel", json={"reason": "x"}), 404)
    assert stranger.call("get", "/api/v1/orders").get_json() == []


def test_seeded_customers_have_a_history_in_every_status(client, sim):
    """Every seeded customer has past orders, as the docs say (found in review: many had none)."""
    with_orders = {o.customer_id for o in sim.store.values("order")}
    assert {c.id for c in sim.store.values("customer")} == with_orders
    login = client.post("/api/v1/auth/login", json={"email": "demo@example.com", "password": "alegra-sim-2026"})
    statuses = Counter(o.status for o in sim.store.values("order"))
    assert set(statuses) == {"placed", "paid", "processing", "shipped", "delivered", "cancelled"}
    assert login.status_code == 200
    for order in sim.store.values("order")[:50]:
        assert order.total == order.subtotal - order.discount + order.shipping + order.payment_fee
        assert [c.status for c in order.history][-1] == order.status


def test_seeded_history_does_not_move_with_the_clock(client, sim, frozen):
    from simulator.orders import service

    customer_id = sim.store.values("order")[0].customer_id

    before = [(o.id, o.status) for o in sim.store.by_owner("order", customer_id)]
    frozen.advance(timedelta(days=30))
    after = [(o.id, service.catch_up(sim.store, frozen, service.OrderTimings(), o.id).status) for o in sim.store.by_owner("order", customer_id)]
    assert after == before


def test_the_simulator_lists_every_callers_orders_newest_first(client, shopper, products, frozen):
    other = Shopper(client, register_shopper(client))
    mine = place(shopper, products)["id"]
    frozen.advance(timedelta(seconds=5))
    theirs = place(other, products)["id"]
    listed = client.get("/_sim/orders?page_size=2")
    assert [o["id"] for o in listed.get_json()] == [theirs, mine]
    assert json.loads(listed.headers["X-Pagination"])["total"] > 2  # the seeded history follows
    frozen.advance(timedelta(seconds=60))  # card orders are paid a minute after they are placed
    assert [o["status"] for o in client.get("/_sim/orders?page_size=2").get_json()] == ["paid", "paid"]
    as_the_simulator_shows_it = client.get("/_sim/orders?page_size=2").get_json()[1]
    assert as_the_simulator_shows_it == shopper.call("get", "/api/v1/orders").get_json()[0] == shopper.call("get", f"/api/v1/orders/{mine}").get_json()
    paid = client.get("/_sim/orders?status=paid&page_size=100").get_json()
    assert {mine, theirs} <= {o["id"] for o in paid} and {o["status"] for o in paid} == {"paid"}
    assert_problem(client.get("/_sim/orders?status=lost"), 422)
    assert_problem(client.get("/_sim/orders?page_size=1000"), 422)

"""Rules an order keeps whoever calls: a cancelled order gives its coupon uses back, a paid
mark never lands on an order cancelled meanwhile, an order never goes out without a delivery."""

import dataclasses
from datetime import timedelta

import pytest

from simulator.catalog.model import PRODUCT
from simulator.orders import service
from simulator.orders.model import ORDER
from simulator.promotions.rules import PROMOTION_USAGE, find_by_coupon
from tests.helpers.problems import assert_problem
from tests.helpers.shopping import Shopper, register_shopper

ONCE = {"name": "Once", "kind": "basket_amount", "amount": "5.00", "coupon_code": "ONCE", "usage_limit": 1, "per_customer_limit": 1}


pytestmark = pytest.mark.usefixtures("long_sessions")


def place_with(shopper, product, coupon, payment_type="card"):
    return shopper.place(product, payment_type, coupon=coupon)


def usage(sim, code):
    return sim.store.get(PROMOTION_USAGE, find_by_coupon(sim.store, code).id)


def test_cancelling_gives_the_coupon_use_back(client, sim, shopper, products):
    assert client.put("/_sim/promotions", json={"promotions": [ONCE]}).status_code == 200
    for _ in range(3):  # place and cancel, again and again: the single use is never used up
        order = place_with(shopper, products[0], "ONCE")
        assert order["coupons"] == ["ONCE"] and usage(sim, "ONCE").total == 1
        assert shopper.call("post", f"/api/v1/orders/{order['id']}/cancel", json={"reason": "test"}).status_code == 200
        assert (usage(sim, "ONCE").total, usage(sim, "ONCE").by_customer) == (0, ())
    other = Shopper(client, register_shopper(client))
    assert place_with(other, products[1], "ONCE")["coupons"] == ["ONCE"]


def test_a_bank_transfer_cancelled_for_want_of_payment_gives_its_coupon_use_back(client, sim, shopper, products, frozen):
    assert client.put("/_sim/promotions", json={"promotions": [ONCE]}).status_code == 200
    order = place_with(shopper, products[0], "ONCE", payment_type="bank_transfer")
    assert usage(sim, "ONCE").total == 1
    frozen.advance(timedelta(seconds=sim.settings.bank_transfer_timeout_seconds + 1))
    assert shopper.call("get", f"/api/v1/orders/{order['id']}").get_json()["status"] == "cancelled"
    assert usage(sim, "ONCE").total == 0


def test_a_payment_never_lands_on_an_order_cancelled_meanwhile(client, sim, shopper, products, monkeypatch):
    order = place_with(shopper, products[0], "FLASH25", payment_type="bank_transfer")
    caught_up = service.catch_up

    def cancelled_right_after_reading(store, clock, timings, order_id):
        seen = caught_up(store, clock, timings, order_id)  # still awaiting payment …
        shopper.call("post", f"/api/v1/orders/{order_id}/cancel", json={"reason": "changed my mind"})  # … then cancelled
        return seen

    monkeypatch.setattr(service, "catch_up", cancelled_right_after_reading)
    assert_problem(client.post(f"/_sim/orders/{order['id']}/payment-received"), 409, "ORDER_NOT_AWAITING_PAYMENT")
    stored = sim.store.get(ORDER, order["id"])
    assert stored.status == "cancelled" and [change.status for change in stored.history][-1] == "cancelled"


def test_an_order_is_not_placed_when_its_delivery_option_no_longer_carries_the_basket(client, sim, shopper):
    product = next(p for p in sim.store.values(PRODUCT) if p.stock >= 5 and 60 <= p.price < 100)  # free shipping from 49
    shopper.add(product)
    checkout = shopper.open()
    shown = shopper.ready_to_pay(checkout)
    assert shown["totals"]["shipping"]["amount"] == "0.00"  # so a lost option changes no total
    shopper.pay(checkout)
    sim.store.put(PRODUCT, dataclasses.replace(sim.store.get(PRODUCT, product.id), weight_grams=250_000))  # too heavy now
    assert_problem(shopper.order(checkout), 409, "DELIVERY_OPTION_NOT_AVAILABLE")
    assert sim.store.count(ORDER) == sum(1 for o in sim.store.values(ORDER) if not o.auto_progress)  # no order was placed

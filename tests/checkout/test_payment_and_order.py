"""Payments by test card and flow, placing the order, idempotency, outdated totals."""

from decimal import Decimal

import pytest

from simulator.catalog import service as catalog
from simulator.catalog.model import PRODUCT
from simulator.promotions.rules import PROMOTION_USAGE, find_by_coupon
from tests.helpers.problems import assert_problem
from tests.helpers.shopping import CARD_OK, card


@pytest.fixture
def ready(shopper, products):
    """(shopper, checkout id) with every step before payment done."""
    shopper.add(products[0], 2)
    shopper.add(products[1])
    checkout = shopper.open()
    shopper.ready_to_pay(checkout)
    return shopper, checkout


@pytest.mark.parametrize("number, code", [
    ("4000000000000002", "PAYMENT_DECLINED"),
    ("4000000000009995", "INSUFFICIENT_FUNDS"),
    ("4000000000000069", "CARD_EXPIRED"),
])
def test_declining_test_cards(ready, number, code):
    shopper, checkout = ready
    body = assert_problem(shopper.call("post", f"/api/v1/checkout/{checkout}/payment", json={"card": card(number)}), 402, code)
    assert body["checkout_id"] == checkout
    state = shopper.call("get", f"/api/v1/checkout/{checkout}").get_json()
    assert state["payment"]["state"] == "declined" and state["payment"]["decline_code"] == code
    assert_problem(shopper.order(checkout), 409, "PAYMENT_NOT_AUTHORIZED")
    assert shopper.pay(checkout)["payment"]["state"] == "authorized"  # another card works


def test_a_card_that_needs_confirmation(ready):
    shopper, checkout = ready
    body = shopper.pay(checkout, {"card": card("4000002500003155")})
    assert body["payment"]["state"] == "requires_confirmation" and body["next_step"] == "payment"
    assert_problem(shopper.order(checkout), 409, "PAYMENT_NOT_AUTHORIZED")
    confirmed = shopper.call("post", f"/api/v1/checkout/{checkout}/payment/confirm").get_json()
    assert confirmed["payment"]["state"] == "authorized"
    assert_problem(shopper.call("post", f"/api/v1/checkout/{checkout}/payment/confirm"), 409, "NOTHING_TO_CONFIRM")
    assert shopper.order(checkout).status_code == 201


@pytest.mark.parametrize("details, field", [
    ({"number": "4242424242424241"}, "card.number"),
    ({"expiry_year": 2020}, "card.expiry_year"),
    ({"cvc": "12a"}, "card.cvc"),
])
def test_card_details_are_checked(ready, details, field):
    shopper, checkout = ready
    body = assert_problem(shopper.call("post", f"/api/v1/checkout/{checkout}/payment", json={"card": {**CARD_OK, **details}}), 422)
    assert field in body["errors"]


def test_redirect_payment_approved_on_the_simulator_page(client, shopper, products):
    shopper.add(products[0])
    checkout = shopper.open()
    shopper.ready_to_pay(checkout, payment_type="paypal")
    body = shopper.pay(checkout, {"return_url": "http://shop.test/back"})
    assert body["payment"]["state"] == "pending_redirect"
    url = body["payment"]["redirect_url"].split("127.0.0.1:8000", 1)[1]
    page = client.get(url)
    assert page.status_code == 200 and b"Approve payment" in page.data
    back = client.post(url + "/approve")
    assert back.status_code == 303 and back.headers["Location"].startswith("http://shop.test/back?checkout_id=")
    assert_problem(client.post(url + "/approve"), 409, "PAYMENT_NOT_PENDING")
    assert shopper.order(checkout).status_code == 201


def test_redirect_payment_cancelled(client, shopper, products):
    shopper.add(products[0])
    checkout = shopper.open()
    shopper.ready_to_pay(checkout, payment_type="paypal")
    url = shopper.pay(checkout, {})["payment"]["redirect_url"].split("127.0.0.1:8000", 1)[1]
    assert client.post(url + "/cancel").get_json()["payment"]["state"] == "cancelled"
    assert_problem(shopper.order(checkout), 409, "PAYMENT_NOT_AUTHORIZED")
    assert_problem(client.get("/payments/redirect/forged"), 404, "PAYMENT_NOT_FOUND")


def test_placing_takes_stock_empties_the_basket_mails_and_counts_coupons(client, sim, ready, products):
    shopper, checkout = ready
    shopper.call("post", "/api/v1/basket/coupons", json={"code": "FLASH25"})
    shown = shopper.call("get", f"/api/v1/checkout/{checkout}").get_json()
    shopper.pay(checkout)
    token = client.get("/api/v1/catalog/export?limit=1").get_json()["sync_token"]
    stock_before = [sim.store.get(PRODUCT, p.id).stock for p in products[:2]]
    response = shopper.order(checkout)
    assert response.status_code == 201
    order = response.get_json()
    assert order["number"].startswith("AS-") and order["status"] == "placed"
    assert order["totals"] == shown["totals"] and order["coupons"] == ["FLASH25"]
    assert [sim.store.get(PRODUCT, p.id).stock for p in products[:2]] == [stock_before[0] - 2, stock_before[1] - 1]
    changed = {c["product_id"] for c in client.get("/api/v1/catalog/changes", query_string={"since": token}).get_json()["changes"]}
    assert changed == {products[0].id, products[1].id}
    assert shopper.call("get", "/api/v1/basket").get_json()["lines"] == []
    assert sim.store.get(PROMOTION_USAGE, find_by_coupon(sim.store, "FLASH25").id).total == 1
    mails = client.get("/_sim/outbox", query_string={"recipient": order["email"]}).get_json()
    assert mails[0]["subject"] == f"Your order {order['number']}"
    assert shopper.call("get", f"/api/v1/checkout/{checkout}").get_json()["status"] == "completed"
    assert_problem(shopper.order(checkout), 409, "CHECKOUT_COMPLETED")


def test_a_basket_is_never_ordered_or_paid_twice_through_two_checkouts(ready):
    """Found in review: a second checkout of an ordered basket still took a payment for its shipping alone.
    A basket has one open checkout now: opening a second (another tab) closes the first."""
    shopper, first = ready
    shopper.pay(first)
    second = shopper.open()
    closed = shopper.call("get", f"/api/v1/checkout/{first}").get_json()
    assert closed["status"] == "closed" and closed["order_id"] is None and closed["next_step"] is None
    assert closed["payment"] is None  # the payment made there is void: it is paid where it is ordered
    assert_problem(shopper.call("post", f"/api/v1/checkout/{first}/payment", json={"card": CARD_OK}), 409, "CHECKOUT_CLOSED")
    assert_problem(shopper.order(first), 409, "CHECKOUT_CLOSED")
    shopper.ready_to_pay(second)
    shopper.pay(second)
    order = shopper.order(second).get_json()
    assert shopper.call("get", f"/api/v1/checkout/{second}").get_json()["order_id"] == order["id"]
    assert_problem(shopper.order(first), 409, "CHECKOUT_CLOSED")


def test_a_checkout_whose_basket_was_emptied_takes_no_payment(ready):
    shopper, checkout = ready
    shopper.call("delete", "/api/v1/basket")
    assert_problem(shopper.call("post", f"/api/v1/checkout/{checkout}/payment", json={"card": CARD_OK}), 409, "CHECKOUT_OUTDATED")
    assert_problem(shopper.call("post", f"/api/v1/checkout/{checkout}/payment", json={"card": CARD_OK}), 409, "BASKET_EMPTY")
    assert shopper.call("get", f"/api/v1/checkout/{checkout}").get_json()["payment"] is None


def test_an_order_names_what_its_checkout_named_alike(ready):
    """Found in review: the checkout's `delivery_option.id` was the order's `delivery.option_id`,
    and the comment given when placing showed only as a status note."""
    shopper, checkout = ready
    chosen = shopper.pay(checkout)["delivery_option"]
    order = shopper.order(checkout, body={"comment": "Leave it at the door"}).get_json()
    assert order["delivery_option"] == {key: value for key, value in chosen.items() if key != "regular_price"}
    assert order["delivery_option"]["id"] == "dhl-standard" and "delivery" not in order
    assert order["comment"] == "Leave it at the door" and order["status_history"][0]["note"] is None


def test_idempotent_placement(sim, ready):
    shopper, checkout = ready
    shopper.pay(checkout)
    first = shopper.order(checkout, key="order-key-1")
    again = shopper.order(checkout, key="order-key-1")
    assert first.status_code == again.status_code == 201
    assert first.get_json()["id"] == again.get_json()["id"] and again.headers["Idempotent-Replayed"] == "true"
    assert_problem(shopper.order(checkout, key="order-key-1", body={"comment": "other"}), 422, "IDEMPOTENCY_KEY_REUSED")
    assert len(sim.store.by_owner("order", first.get_json()["customer_id"])) == 1


def test_an_order_is_never_placed_on_totals_not_seen(sim, ready, products):
    shopper, checkout = ready
    paid = shopper.pay(checkout)
    catalog.update_product(sim.store, sim.clock, products[0].id, {"price": products[0].price + 10, "compare_at_price": None})
    body = assert_problem(shopper.order(checkout), 409, "CHECKOUT_OUTDATED")
    assert body["total"]["currency"] == "EUR"  # money, as everywhere else
    assert Decimal(body["total"]["amount"]) > Decimal(paid["totals"]["total"]["amount"])
    now = shopper.call("get", f"/api/v1/checkout/{checkout}").get_json()
    assert now["payment"] is None and now["totals"]["total"] == body["total"]  # the old payment no longer fits
    assert_problem(shopper.order(checkout), 409, "PAYMENT_NOT_AUTHORIZED")
    shopper.pay(checkout)
    assert shopper.order(checkout).get_json()["totals"]["total"] == body["total"]


def test_a_basket_change_after_opening_recomputes_the_checkout(ready, products):
    shopper, checkout = ready
    before = shopper.call("get", f"/api/v1/checkout/{checkout}").get_json()
    shopper.add(products[2])
    after = shopper.call("get", f"/api/v1/checkout/{checkout}").get_json()
    assert Decimal(after["totals"]["subtotal"]["amount"]) == Decimal(before["totals"]["subtotal"]["amount"]) + products[2].price


def test_stock_that_ran_out_meanwhile_refuses_the_order_and_takes_nothing(sim, ready, products):
    shopper, checkout = ready
    shopper.pay(checkout)
    catalog.update_product(sim.store, sim.clock, products[0].id, {"stock": 1})  # the basket wants 2
    body = assert_problem(shopper.order(checkout), 409, "INSUFFICIENT_STOCK")
    assert body["lines"] == [{"product_id": products[0].id, "requested": 2, "available": 1}]
    assert sim.store.get(PRODUCT, products[1].id).stock == products[1].stock  # all lines or none


def test_bank_transfer_waits_for_the_money(client, shopper, products):
    shopper.add(products[0])
    checkout = shopper.open()
    shopper.ready_to_pay(checkout, payment_type="bank_transfer")
    assert shopper.pay(checkout, {})["payment"]["state"] == "pending"
    order = shopper.order(checkout).get_json()
    assert order["status"] == "awaiting_payment"
    paid = client.post(f"/_sim/orders/{order['id']}/payment-received").get_json()
    assert paid["status"] == "paid" and paid["payment"]["state"] == "captured"
    assert_problem(client.post(f"/_sim/orders/{order['id']}/payment-received"), 409, "ORDER_NOT_AWAITING_PAYMENT")


@pytest.mark.parametrize("payment_type", ["bank_transfer", "cash_on_delivery", "paypal"])
def test_types_without_a_card_say_the_payment_call_is_still_needed_and_it_is(shopper, products, payment_type):
    """Found in review: nothing told a frontend whether POST …/payment was needed without a card."""
    shopper.add(products[0])
    checkout = shopper.open()
    shopper.ready_to_pay(checkout, payment_type=payment_type)
    choices = {c["id"]: c for c in shopper.call("get", f"/api/v1/checkout/{checkout}/payment-types").get_json()}
    assert choices[payment_type]["payment_call_required"] is True and choices[payment_type]["flow"] != "card"
    assert_problem(shopper.order(checkout), 409, "PAYMENT_NOT_AUTHORIZED")  # as it says
    assert shopper.pay(checkout, {})["next_step"] == (None if payment_type != "paypal" else "payment")


def test_cash_on_delivery_places_the_order_unpaid_with_its_fee(shopper, products):
    shopper.add(products[0])
    checkout = shopper.open()
    shopper.ready_to_pay(checkout, payment_type="cash_on_delivery")
    shopper.pay(checkout, {})
    order = shopper.order(checkout).get_json()
    assert order["status"] == "placed" and order["payment"]["state"] == "pending"
    assert order["totals"]["payment_fee"]["amount"] == "4.90"


def test_paying_after_a_price_change_is_outdated_not_an_error(sim, ready, products):
    """Found by the load test: paying right after a price change answered 500."""
    shopper, checkout = ready
    catalog.update_product(sim.store, sim.clock, products[0].id, {"price": products[0].price + 5, "compare_at_price": None})
    body = assert_problem(shopper.call("post", f"/api/v1/checkout/{checkout}/payment", json={"card": CARD_OK}), 409, "CHECKOUT_OUTDATED")
    paid = shopper.pay(checkout)  # the new totals were in the 409 and are now the ones seen
    assert paid["payment"]["amount"] == body["total"] == paid["totals"]["total"]
    assert shopper.order(checkout).status_code == 201


def _paid_with_coupon(shopper, product, code):
    """One unit with a coupon on the basket, paid: (the coupon's state on the basket, checkout id)."""
    shopper.add(product)
    state = shopper.call("post", "/api/v1/basket/coupons", json={"code": code}).get_json()["coupons"][0]
    checkout = shopper.open()
    shopper.ready_to_pay(checkout)
    shopper.pay(checkout)
    return state, checkout


@pytest.mark.parametrize("limit", ["usage_limit", "per_customer_limit"])
def test_a_limit_of_zero_allows_no_order_the_discount(client, sim, shopper, products, limit):
    rule = {"name": "Paused", "kind": "basket_amount", "amount": "5.00", "coupon_code": "PAUSED", limit: 0}
    assert client.put("/_sim/promotions", json={"promotions": [rule]}).status_code == 200
    state, checkout = _paid_with_coupon(shopper, products[0], "PAUSED")
    assert state["state"] == "not_applicable"
    order = shopper.order(checkout).get_json()
    assert order["coupons"] == [] and order["promotions"] == [] and order["totals"]["discount"]["amount"] == "0.00"
    assert sim.store.get(PROMOTION_USAGE, find_by_coupon(sim.store, "PAUSED").id) is None


def test_a_usage_limit_of_one_allows_one_order_even_when_two_checkouts_saw_it(client, sim, products):
    from tests.helpers.shopping import Shopper, register_shopper

    rule = {"name": "Once", "kind": "basket_amount", "amount": "5.00", "coupon_code": "ONCE", "usage_limit": 1}
    assert client.put("/_sim/promotions", json={"promotions": [rule]}).status_code == 200
    first, second = Shopper(client, register_shopper(client)), Shopper(client, register_shopper(client))
    (state, first_checkout), (_, second_checkout) = (_paid_with_coupon(s, products[0], "ONCE") for s in (first, second))
    assert state["state"] == "applied"
    order = first.order(first_checkout).get_json()
    assert order["coupons"] == ["ONCE"] and order["totals"]["discount"]["amount"] == "5.00"
    # the second checkout was opened with the discount, which is gone now: its total went up
    body = assert_problem(second.order(second_checkout), 409, "CHECKOUT_OUTDATED")
    assert Decimal(body["total"]["amount"]) == Decimal(order["totals"]["total"]["amount"]) + 5
    coupon = second.call("get", "/api/v1/basket").get_json()["coupons"][0]
    assert (coupon["state"], coupon["reason"]) == ("not_applicable", "no longer available")
    second.pay(second_checkout)
    assert second.order(second_checkout).get_json()["coupons"] == []
    assert sim.store.get(PROMOTION_USAGE, find_by_coupon(sim.store, "ONCE").id).total == 1

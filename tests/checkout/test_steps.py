"""Checkout steps, their order, what a change resets, and totals."""

from decimal import Decimal

import pytest

from simulator.catalog import service as catalog
from tests.helpers.problems import assert_problem
from tests.helpers.shopping import INLINE_DE, INLINE_FR, Shopper, card, register_shopper


def amount(money):
    return Decimal(money["amount"])


def test_open_needs_a_ready_basket(shopper, sim, products):
    assert_problem(shopper.call("post", "/api/v1/checkout", json={}), 409, "BASKET_EMPTY")
    shopper.add(products[0])
    catalog.update_product(sim.store, sim.clock, products[0].id, {"stock": 0})
    body = assert_problem(shopper.call("post", "/api/v1/checkout", json={}), 409, "BASKET_NOT_READY")
    line = shopper.call("get", "/api/v1/basket").get_json()["lines"][0]
    assert [(p["code"], p["line_id"], p["product_id"]) for p in body["problems"]] == [("SOLD_OUT", line["id"], products[0].id)]


@pytest.mark.parametrize("step, body, missing", [
    ("billing-address", {"same_as_shipping": True}, "SHIPPING_ADDRESS_NOT_SET"),
    ("payment-type", {"payment_type": "card"}, "SHIPPING_ADDRESS_NOT_SET"),
    ("delivery-option", {"delivery_option_id": "dhl-standard"}, "SHIPPING_ADDRESS_NOT_SET"),
])
def test_a_step_before_its_predecessor_names_what_is_missing(shopper, products, step, body, missing):
    shopper.add(products[0])
    checkout = shopper.open()
    assert_problem(shopper.call("put", f"/api/v1/checkout/{checkout}/{step}", json=body), 409, missing)


def test_each_missing_step_in_turn(shopper, products):
    shopper.add(products[0])
    checkout = shopper.open()
    order = lambda: shopper.order(checkout)  # noqa: E731
    assert_problem(order(), 409, "SHIPPING_ADDRESS_NOT_SET")
    # the option lists are reads that need only the destination
    assert_problem(shopper.call("get", f"/api/v1/checkout/{checkout}/payment-types"), 409, "SHIPPING_ADDRESS_NOT_SET")
    assert_problem(shopper.call("get", f"/api/v1/checkout/{checkout}/delivery-options"), 409, "SHIPPING_ADDRESS_NOT_SET")
    shopper.step(checkout, "shipping-address", {"address": INLINE_DE})
    assert_problem(order(), 409, "BILLING_ADDRESS_NOT_SET")
    shopper.step(checkout, "billing-address", {"same_as_shipping": True})
    assert_problem(order(), 409, "PAYMENT_TYPE_NOT_SET")
    assert_problem(shopper.call("put", f"/api/v1/checkout/{checkout}/delivery-option", json={"delivery_option_id": "dhl-standard"}), 409, "PAYMENT_TYPE_NOT_SET")
    shopper.step(checkout, "payment-type", {"payment_type": "card"})
    assert_problem(order(), 409, "DELIVERY_OPTION_NOT_SET")
    assert_problem(shopper.call("post", f"/api/v1/checkout/{checkout}/payment", json={"card": card("4242424242424242")}), 409, "DELIVERY_OPTION_NOT_SET")
    body = shopper.step(checkout, "delivery-option", {"delivery_option_id": "dhl-standard"})
    assert body["next_step"] == "payment"
    assert_problem(order(), 409, "PAYMENT_NOT_AUTHORIZED")


def test_totals_add_up_with_shipping_and_fee(shopper, products):
    for product in products[:3]:
        shopper.add(product)
    checkout = shopper.open()
    body = shopper.ready_to_pay(checkout, payment_type="cash_on_delivery", delivery="ups-express")
    totals = {name: amount(value) for name, value in body["totals"].items()}
    assert totals["payment_fee"] == Decimal("4.90") and totals["shipping"] == Decimal("12.90")
    assert totals["total"] == totals["subtotal"] - totals["discount"] + totals["shipping"] + totals["payment_fee"]
    assert sum(amount(t["tax"]) for t in body["taxes"]) == totals["tax"]
    assert sum(amount(t["gross"]) for t in body["taxes"]) == totals["total"]


def test_changing_the_destination_resets_what_no_longer_fits(shopper, products):
    shopper.add(products[0])
    checkout = shopper.open()
    body = shopper.ready_to_pay(checkout, payment_type="cash_on_delivery", delivery="hermes-pickup")
    assert body["payment_type"] == "cash_on_delivery" and body["delivery_option"]["id"] == "hermes-pickup"
    body = shopper.step(checkout, "shipping-address", {"address": INLINE_FR})
    # cash on delivery is DE/AT only; the parcel shop option is domestic only
    assert body["payment_type"] is None and body["delivery_option"] is None
    assert body["billing_address"]["country"] == "FR"  # billing follows shipping while "same as shipping"
    choices = {c["id"]: c for c in shopper.call("get", f"/api/v1/checkout/{checkout}/payment-types").get_json()}
    assert choices["cash_on_delivery"]["available"] is False and "FR" in choices["cash_on_delivery"]["reason"]
    assert_problem(shopper.call("put", f"/api/v1/checkout/{checkout}/payment-type", json={"payment_type": "cash_on_delivery"}), 409, "PAYMENT_TYPE_NOT_AVAILABLE")
    options = {o["id"] for o in shopper.call("get", f"/api/v1/checkout/{checkout}/delivery-options").get_json()}
    assert "hermes-pickup" not in options and "dhl-standard" in options


def test_cash_on_delivery_has_a_total_limit(shopper, sim):
    from simulator.catalog.model import PRODUCT

    pricey = next(p for p in sim.store.values(PRODUCT) if p.price > 700 and p.stock > 0)  # above 500 after any promotion
    shopper.add(pricey)
    checkout = shopper.open()
    shopper.step(checkout, "shipping-address", {"address": INLINE_DE})
    shopper.step(checkout, "billing-address", {"same_as_shipping": True})
    choices = {c["id"]: c for c in shopper.call("get", f"/api/v1/checkout/{checkout}/payment-types").get_json()}
    assert choices["cash_on_delivery"]["available"] is False and "500.00" in choices["cash_on_delivery"]["reason"]


def test_the_payment_types_follow_the_checkouts_total_and_destination_at_once(shopper, sim, products):
    """The payment types answer is kept per destination and limits crossed: each change shows."""
    from simulator.catalog.model import PRODUCT

    def cash_on_delivery(checkout: str) -> dict:
        choices = {c["id"]: c for c in shopper.call("get", f"/api/v1/checkout/{checkout}/payment-types").get_json()}
        return choices["cash_on_delivery"]

    shopper.add(products[0])
    checkout = shopper.open()
    shopper.step(checkout, "shipping-address", {"address": INLINE_DE})
    shopper.step(checkout, "billing-address", {"same_as_shipping": True})
    assert cash_on_delivery(checkout)["available"] and cash_on_delivery(checkout)["reason"] is None

    pricey = next(p for p in sim.store.values(PRODUCT) if p.price > 700 and p.stock > 0)
    line = shopper.add(pricey)["lines"][-1]
    assert not cash_on_delivery(checkout)["available"] and "500.00" in cash_on_delivery(checkout)["reason"]
    shopper.call("delete", f"/api/v1/basket/items/{line['id']}")
    assert cash_on_delivery(checkout)["available"]

    shopper.step(checkout, "shipping-address", {"address": INLINE_FR})
    assert not cash_on_delivery(checkout)["available"] and "FR" in cash_on_delivery(checkout)["reason"]


def test_address_from_the_address_book_and_bad_addresses(client, sim, products):
    shopper = Shopper(client, register_shopper(client))
    address = shopper.call("post", "/api/v1/customers/me/addresses", json={**INLINE_DE, "phone": "+49 30 1234567"}).get_json()
    shopper.add(products[0])
    checkout = shopper.open()
    body = shopper.step(checkout, "shipping-address", {"address_id": address["id"]})
    assert body["shipping_address"]["line1"] == INLINE_DE["line1"]
    other = Shopper(client, register_shopper(client))
    foreign = other.call("post", "/api/v1/customers/me/addresses", json=INLINE_FR).get_json()
    assert_problem(shopper.call("put", f"/api/v1/checkout/{checkout}/shipping-address", json={"address_id": foreign["id"]}), 404, "ADDRESS_NOT_FOUND")
    assert_problem(shopper.call("put", f"/api/v1/checkout/{checkout}/shipping-address", json={"address": {**INLINE_DE, "postal_code": "ABC"}}), 422)
    assert_problem(shopper.call("put", f"/api/v1/checkout/{checkout}/shipping-address", json={"address": {**INLINE_DE, "country": "US"}}), 422)
    assert_problem(shopper.call("put", f"/api/v1/checkout/{checkout}/shipping-address", json={}), 422)


def test_someone_elses_checkout_is_not_found(client, products):
    owner = Shopper(client, register_shopper(client))
    owner.add(products[0])
    checkout = owner.open()
    stranger = Shopper(client, register_shopper(client))
    assert_problem(stranger.call("get", f"/api/v1/checkout/{checkout}"), 404, "CHECKOUT_NOT_FOUND")
    assert_problem(stranger.call("put", f"/api/v1/checkout/{checkout}/shipping-address", json={"address": INLINE_DE}), 404)


def test_guest_checkout_with_an_email_and_inline_addresses(client, products, sim):
    guest = Shopper(client, {"X-Basket-Token": client.post("/api/v1/baskets").get_json()["token"]})
    guest.add(products[0])
    assert_problem(guest.call("post", "/api/v1/checkout", json={}), 422)
    checkout = guest.open(email="guest@example.org")
    guest.ready_to_pay(checkout)
    guest.pay(checkout)
    response = guest.order(checkout)
    assert response.status_code == 201
    order = response.get_json()
    assert order["email"] == "guest@example.org" and order["customer_id"] is None
    assert guest.call("get", f"/api/v1/orders/{order['id']}").status_code == 200
    mails = client.get("/_sim/outbox", query_string={"recipient": "guest@example.org"}).get_json()
    assert any(order["number"] in m["subject"] for m in mails)


def test_stale_if_match_on_a_step(shopper, products):
    shopper.add(products[0])
    checkout = shopper.open()
    current = shopper.call("get", f"/api/v1/checkout/{checkout}")
    stale = shopper.call("put", f"/api/v1/checkout/{checkout}/shipping-address", json={"address": INLINE_DE}, extra={"If-Match": '"999"'})
    assert_problem(stale, 412, "VERSION_MISMATCH")
    ok = shopper.call("put", f"/api/v1/checkout/{checkout}/shipping-address", json={"address": INLINE_DE}, extra={"If-Match": current.headers["ETag"]})
    assert ok.status_code == 200


def test_reading_orders_creates_nothing(shopper, sim):
    from simulator.basket.model import BASKET

    before = sim.store.count(BASKET)
    assert shopper.call("get", "/api/v1/orders").get_json() == []
    assert sim.store.count(BASKET) == before
    assert_problem(shopper.client.get("/api/v1/orders"), 401, "AUTHENTICATION_REQUIRED")

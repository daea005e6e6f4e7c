"""What a caller can make the checkout keep: one open and one closed checkout a basket,
expiry on the simulator clock, one payment link a checkout, found by its digest instead
of a scan."""

from datetime import timedelta

from simulator.checkout import service as checkouts
from simulator.checkout.model import BASKET_CHECKOUTS, CHECKOUT, REDIRECT_TOKEN
from simulator.orders.model import ORDER
from tests.helpers.problems import assert_problem
from tests.helpers.shopping import Shopper


def test_opening_a_checkout_closes_the_baskets_open_one_and_forgets_the_one_closed_before(client, shopper, products, sim):
    shopper.add(products[0])
    first = shopper.open()
    shopper.ready_to_pay(first, payment_type="paypal")
    link = shopper.pay(first, {})["payment"]["redirect_url"].split("127.0.0.1:8000", 1)[1]
    opened = [shopper.open() for _ in range(20)]
    assert_problem(client.get(link), 404, "PAYMENT_NOT_FOUND")  # a closed checkout takes no payment
    assert sim.store.count(CHECKOUT) == 2 and sim.store.count(REDIRECT_TOKEN) == 0 and sim.store.count(BASKET_CHECKOUTS) == 1
    for forgotten in (first, *opened[:-2]):
        assert_problem(shopper.call("get", f"/api/v1/checkout/{forgotten}"), 404, "CHECKOUT_NOT_FOUND")
    assert shopper.call("get", f"/api/v1/checkout/{opened[-2]}").get_json()["status"] == "closed"
    assert shopper.call("get", f"/api/v1/checkout/{opened[-1]}").get_json()["status"] == "open"


def test_a_completed_checkout_is_not_replaced(shopper, products, sim):
    shopper.add(products[0])
    placed = shopper.open()
    shopper.ready_to_pay(placed)
    shopper.pay(placed)
    assert shopper.order(placed).status_code == 201
    assert sim.store.count(BASKET_CHECKOUTS) == 0
    shopper.add(products[1])
    shopper.open()
    assert shopper.call("get", f"/api/v1/checkout/{placed}").get_json()["status"] == "completed"


def test_checkouts_are_forgotten_once_untouched_for_their_lifetime(client, products, sim, frozen):
    shopper = Shopper(client, {"X-Basket-Token": client.post("/api/v1/baskets").get_json()["token"]})  # a guest: no session to expire
    shopper.add(products[0])
    placed = shopper.open(email="guest@example.org")
    shopper.ready_to_pay(placed)
    shopper.pay(placed)
    order = shopper.order(placed).get_json()
    shopper.add(products[1])
    waiting = shopper.open(email="guest@example.org")
    shopper.ready_to_pay(waiting, payment_type="paypal")
    link = shopper.pay(waiting, {})["payment"]["redirect_url"].split("127.0.0.1:8000", 1)[1]
    ttl = sim.settings.checkout_ttl_seconds
    frozen.advance(timedelta(seconds=ttl - 1))
    assert checkouts.sweep_expired(sim.store, frozen, ttl) == 0
    shopper.call("get", f"/api/v1/checkout/{waiting}")  # reading it re-prices, not touches: it still ages
    frozen.advance(timedelta(seconds=2))
    assert checkouts.sweep_expired(sim.store, frozen, ttl) == 2
    assert sim.store.count(CHECKOUT) == 0 and sim.store.count(REDIRECT_TOKEN) == 0 and sim.store.count(BASKET_CHECKOUTS) == 0
    for gone in (placed, waiting):
        assert_problem(shopper.call("get", f"/api/v1/checkout/{gone}"), 404, "CHECKOUT_NOT_FOUND")
    assert_problem(shopper.client.get(link), 404, "PAYMENT_NOT_FOUND")
    assert sim.store.get(ORDER, order["id"]) is not None  # the order stays


def test_a_payment_page_is_found_by_its_link_alone_and_a_new_link_replaces_the_old(client, shopper, products, sim, monkeypatch):
    shopper.add(products[0])
    checkout = shopper.open()
    shopper.ready_to_pay(checkout, payment_type="paypal")
    links = [shopper.pay(checkout, {})["payment"]["redirect_url"].split("127.0.0.1:8000", 1)[1] for _ in range(5)]
    assert sim.store.count(REDIRECT_TOKEN) == 1
    values = sim.store.values
    monkeypatch.setattr(sim.store, "values", lambda kind: (_ for _ in ()).throw(AssertionError(f"scanned {kind}"))
                        if kind == CHECKOUT else values(kind))
    for old in links[:-1]:
        assert_problem(client.get(old), 404, "PAYMENT_NOT_FOUND")
    assert client.get(links[-1]).status_code == 200
    assert client.post(links[-1] + "/approve").status_code == 200

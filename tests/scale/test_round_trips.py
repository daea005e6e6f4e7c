"""Round trips to Redis per request on the hot paths (SIM_STORE=redis://…): what
docs/scale-out.md promises, pinned so that it cannot silently grow.

A round trip is one packed write to the Redis connection (a command, a pipeline or a
script call), counted as the request runs in this process; nothing else runs here
(no background work in tests), and each path is warmed up first (scripts loaded, the
local copies of the catalog and promotions caught up).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.helpers.accounts import bearer, register
from tests.helpers.redis_server import redis_server, redis_url, round_trips  # noqa: F401 (fixtures)


@pytest.fixture
def shared_client(make_app, redis_url):  # noqa: F811
    return make_app(store=redis_url).test_client()


def first_products(client, count: int) -> list[str]:
    answer = client.get(f"/api/v1/products?page_size={count}")
    assert answer.status_code == 200
    return [product["id"] for product in answer.get_json()]


def guest_adder(client) -> tuple[Callable[[str], None], str]:
    """A new guest basket's adder (one of a product, which must answer 200) and its token."""
    token = client.post("/api/v1/baskets").get_json()["token"]

    def add(product_id: str) -> None:
        answer = client.post("/api/v1/basket/items", json={"product_id": product_id, "quantity": 1},
                             headers={"X-Basket-Token": token})
        assert answer.status_code == 200, answer.get_data(as_text=True)

    return add, token


def test_a_product_read_is_one_round_trip_the_freshness_check(shared_client, round_trips):  # noqa: F811
    product_id = first_products(shared_client, 1)[0]
    read = lambda: shared_client.get(f"/api/v1/products/{product_id}")  # noqa: E731
    assert read().status_code == 200
    trips = round_trips.during(lambda: read().status_code == 200 or pytest.fail("the read failed"))
    assert len(trips) == 1, trips


def test_a_browse_is_one_round_trip(shared_client, round_trips):  # noqa: F811
    browse = lambda: shared_client.get("/api/v1/products?page_size=5&sort=price")  # noqa: E731
    assert browse().status_code == 200
    trips = round_trips.during(lambda: browse().status_code == 200 or pytest.fail("the browse failed"))
    assert len(trips) == 1, trips


def test_a_guest_basket_add_is_two_round_trips(shared_client, round_trips):  # noqa: F811
    """The freshness check with the basket by its token (read ahead: one script), and the
    compare-and-set of the changed basket with its age index entry. A new line's id takes
    none: the process draws ids a block at a time."""
    first, second = first_products(shared_client, 2)
    add, token = guest_adder(shared_client)
    add(first)  # scripts loaded, the block of line ids drawn
    assert len(trips := round_trips.during(lambda: add(second))) == 2, trips  # a new line
    assert len(trips := round_trips.during(lambda: add(second))) == 2, trips  # the same line grows
    basket = shared_client.get("/api/v1/basket", headers={"X-Basket-Token": token}).get_json()
    assert [line["quantity"] for line in basket["lines"]] == [1, 2]


def test_a_customer_basket_add_is_two_round_trips(shared_client, round_trips):  # noqa: F811
    """The freshness check with the session by its token, the customer, their basket and
    their orders (first-order promotions), read ahead in one script; and the compare-and-set."""
    product_id = first_products(shared_client, 1)[0]
    token, _ = register(shared_client)

    def add() -> None:
        answer = shared_client.post("/api/v1/basket/items", json={"product_id": product_id, "quantity": 1}, headers=bearer(token))
        assert answer.status_code == 200, answer.get_data(as_text=True)

    add()
    trips = round_trips.during(add)
    assert len(trips) == 2, trips


def a_caller_with_an_open_checkout(client, as_guest: bool = False):
    """(the caller's Shopper, their checkout's id): one product in the basket; a customer's,
    or with `as_guest` a guest's (by X-Basket-Token)."""
    from tests.helpers.shopping import Shopper, register_shopper

    headers = {"X-Basket-Token": client.post("/api/v1/baskets").get_json()["token"]} if as_guest else register_shopper(client)
    shopper = Shopper(client, headers)
    answer = shopper.call("post", "/api/v1/basket/items", json={"product_id": first_products(client, 1)[0], "quantity": 1})
    assert answer.status_code == 200, answer.get_json()
    return shopper, shopper.open(**({"email": "ada@example.org"} if as_guest else {}))


def test_a_checkout_step_is_two_round_trips(shared_client, round_trips):  # noqa: F811
    """The freshness check with the caller read ahead (session, customer, basket, orders) and
    the checkout its path names, and the step's commit (a transaction: no lock; the basket it
    prices is the one read ahead, checked at the commit). Reading the checkout's options, one."""
    from tests.helpers.shopping import INLINE_DE

    shopper, checkout_id = a_caller_with_an_open_checkout(shared_client)
    shopper.step(checkout_id, "shipping-address", {"address": INLINE_DE})  # scripts loaded
    trips = round_trips.during(lambda: shopper.step(checkout_id, "billing-address", {"same_as_shipping": True}))
    assert len(trips) == 2, trips
    options = round_trips.during(lambda: shopper.call("get", f"/api/v1/checkout/{checkout_id}/payment-types").status_code == 200
                                 or pytest.fail("the read failed"))
    assert len(options) == 1, options
    assert shopper.call("get", f"/api/v1/checkout/{checkout_id}").get_json()["billing_same_as_shipping"] is True


@pytest.mark.parametrize("as_guest", [False, True], ids=["customer", "guest"])
def test_reading_an_order_or_the_orders_is_one_round_trip(shared_client, round_trips, as_guest):  # noqa: F811
    """The freshness check with the caller and their orders read ahead (a guest's too)."""
    from tests.helpers.shopping import INLINE_DE

    shopper, checkout_id = a_caller_with_an_open_checkout(shared_client, as_guest)
    shopper.ready_to_pay(checkout_id, INLINE_DE)
    shopper.pay(checkout_id)
    order_id = shopper.order(checkout_id).get_json()["id"]
    shared_client.get("/api/v1/categories")  # caught up with the order's own changes (stock)
    for path in (f"/api/v1/orders/{order_id}", "/api/v1/orders"):
        trips = round_trips.during(lambda p=path: shopper.call("get", p).status_code == 200 or pytest.fail(f"{p} failed"))
        assert len(trips) == 1, (path, trips)


def test_a_logout_is_two_round_trips(shared_client, round_trips):  # noqa: F811
    """The freshness check with the session and the customer read ahead, and the commit of
    the revoked session (a transaction that reads them from there)."""
    token, _ = register(shared_client)
    shared_client.get("/api/v1/customers/me", headers=bearer(token))  # scripts loaded
    trips = round_trips.during(lambda: shared_client.post("/api/v1/auth/logout", headers=bearer(token)).status_code == 204
                               or pytest.fail("the logout failed"))
    assert len(trips) == 2, trips
    assert shared_client.get("/api/v1/customers/me", headers=bearer(token)).status_code == 401


def test_a_login_reads_each_record_once(shared_client, round_trips):  # noqa: F811
    """Its transactions (the attempt counted, the session opened) start from what the login
    read before them, checked at their commits, instead of reading it again."""
    from tests.helpers.accounts import registration

    details = registration()
    register(shared_client, details["email"], password=details["password"])
    log_in = lambda: shared_client.post("/api/v1/auth/login", json={"email": details["email"], "password": details["password"]})  # noqa: E731
    assert log_in().status_code == 200
    trips = round_trips.during(lambda: log_in().status_code == 200 or pytest.fail("the login failed"))
    reads = [trip for trip in trips if trip.startswith(b"*2\r\n$3\r\nGET\r\n")]
    assert len(reads) == len(set(reads)) and len(trips) <= 9, trips


def test_another_callers_checkout_read_ahead_still_answers_404(shared_client):
    """The path's checkout is read ahead whoever owns it; its route still checks whose it is."""
    owner, checkout_id = a_caller_with_an_open_checkout(shared_client)
    stranger, _ = a_caller_with_an_open_checkout(shared_client)
    for answer in (stranger.call("get", f"/api/v1/checkout/{checkout_id}"),
                   stranger.call("put", f"/api/v1/checkout/{checkout_id}/billing-address", json={"same_as_shipping": True})):
        assert answer.status_code == 404 and answer.get_json()["code"] == "CHECKOUT_NOT_FOUND", answer.get_json()
    assert owner.call("get", f"/api/v1/checkout/{checkout_id}").status_code == 200


def test_reading_the_profile_or_the_address_book_is_one_round_trip(shared_client, round_trips):  # noqa: F811
    """The freshness check with the session, the customer and their addresses read ahead (the
    profile names the default addresses)."""
    token, _ = register(shared_client)
    for path in ("/api/v1/customers/me", "/api/v1/customers/me/addresses"):
        read = lambda p=path: shared_client.get(p, headers=bearer(token)).status_code == 200 or pytest.fail(f"{p} failed")  # noqa: E731
        read()  # scripts loaded
        trips = round_trips.during(read)
        assert len(trips) == 1, (path, trips)


def test_an_add_after_another_worker_changed_the_catalog_keeps_what_it_read_ahead(make_app, redis_url, round_trips):  # noqa: F811
    """The freshness check finds the counter moved: the worker catches up (the state, then
    the changed product) and the add goes on from the basket it read ahead, not reading it
    again."""
    client, other = make_app(store=redis_url).test_client(), make_app(store=redis_url).test_client()
    first, second = first_products(client, 2)
    add, _ = guest_adder(client)
    add(first)
    assert other.patch(f"/_sim/products/{second}", json={"stock": 777}).status_code == 200
    trips = round_trips.during(lambda: add(second))
    assert len(trips) == 4, trips  # read ahead, catch up, the changed product, compare-and-set
    assert client.get(f"/api/v1/products/{second}").get_json()["stock"] == 777  # the other worker's change, seen

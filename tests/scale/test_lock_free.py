"""On Redis (SIM_STORE=redis://…) the frequent writes are transactions that take no store
lock: a new guest basket, a login, a checkout opened and walked to the order's payment,
the order placed (its stock, change log entries and mail), an `Idempotency-Key` claimed. What they read is checked when they commit, so a
write that races them makes them run again instead of being lost (tests/store)."""

from __future__ import annotations

import dataclasses
import hashlib
import threading

import pytest

from simulator import domain_faults
from simulator.checkout.model import CHECKOUT
from simulator.http.blueprints import EXTENSION
from simulator.store.redis import ACQUIRE
from tests.helpers.accounts import bearer, register, registration
from tests.helpers.redis_server import redis_server, redis_url, round_trips  # noqa: F401 (fixtures)
from tests.helpers.shopping import CARD_OK, Shopper, affordable_products

ACQUIRE_SHA = hashlib.sha1(ACQUIRE.encode()).hexdigest().encode()


@pytest.fixture
def shared_app(make_app, redis_url):  # noqa: F811
    return make_app(store=redis_url)


def locks_taken(trips: list[bytes]) -> int:
    return sum(ACQUIRE_SHA in trip for trip in trips)


def without_lock(round_trips, action):  # noqa: F811
    trips = round_trips.during(action)
    assert trips, "the action made no round trip: the probe counts nothing"
    assert locks_taken(trips) == 0, trips
    return trips


def test_the_probe_sees_a_lock_taken(shared_app, round_trips):  # noqa: F811
    """A section under the lock is counted (else the tests below could not fail)."""
    store = shared_app.extensions[EXTENSION].store

    def section() -> None:
        with store.atomic():
            store.next_seq("probe")

    section()  # scripts loaded
    trips = round_trips.during(section)
    assert locks_taken(trips) == 1, trips


def test_a_new_guest_basket_takes_no_lock(shared_app, round_trips):  # noqa: F811
    client = shared_app.test_client()
    client.post("/api/v1/baskets")  # scripts loaded
    without_lock(round_trips, lambda: client.post("/api/v1/baskets").status_code == 201 or pytest.fail("no basket"))


def test_a_login_takes_no_lock(shared_app, round_trips):  # noqa: F811
    client = shared_app.test_client()
    details = registration()
    register(client, details["email"], password=details["password"])
    login = {"email": details["email"], "password": details["password"]}

    def log_in() -> None:
        answer = client.post("/api/v1/auth/login", json=login)
        assert answer.status_code == 200, answer.get_json()

    without_lock(round_trips, log_in)
    wrong = lambda: client.post("/api/v1/auth/login", json={**login, "password": "Wrong-password-1"})  # noqa: E731
    without_lock(round_trips, lambda: wrong().status_code == 401 or pytest.fail("the wrong password got in"))


def test_a_checkout_walked_to_its_order_takes_no_lock(shared_app, round_trips):  # noqa: F811
    client = shared_app.test_client()
    token, _ = register(client)
    shopper = Shopper(client, bearer(token))
    product = affordable_products(shared_app.extensions[EXTENSION].store)[0]
    shopper.add(product)
    store = shared_app.extensions[EXTENSION].store
    logged_before = store.last_seq("product")
    opened: list[str] = []
    without_lock(round_trips, lambda: opened.append(shopper.open()))
    without_lock(round_trips, lambda: shopper.ready_to_pay(opened[0]))
    without_lock(round_trips, lambda: shopper.pay(opened[0], {"card": CARD_OK}))
    placed = []
    without_lock(round_trips, lambda: placed.append(shopper.order(opened[0], key="order-1")))
    assert placed[0].status_code == 201, placed[0].get_json()
    assert store.get("product", product.id).stock == product.stock - 1
    changed = store.changes_since("product", logged_before, 100)  # the stock change is in the change log
    assert product.id in [change.record_id for change in changed], changed


def test_an_idempotency_key_is_claimed_without_a_lock(shared_app, round_trips):  # noqa: F811
    """Registering with a key: the key's claim and its result (the account itself is made
    under the lock: it numbers a webhook event)."""
    client = shared_app.test_client()
    details = registration()
    answer = client.post("/api/v1/customers", json=details, headers={"Idempotency-Key": "one"})
    assert answer.status_code == 201, answer.get_json()
    trips = round_trips.during(lambda: client.post("/api/v1/customers", json=details, headers={"Idempotency-Key": "one"}))
    assert locks_taken(trips) == 0, trips


def race_the_first_draw(monkeypatch, store, checkout_id: str) -> list[str]:
    """`domain_faults.hit` recorded, each fault missed; at the first draw another writer
    changes the checkout, so the transaction drawing it runs again."""
    draws: list[str] = []

    def racing_write() -> None:
        checkout = store.get(CHECKOUT, checkout_id)
        store.put(CHECKOUT, dataclasses.replace(checkout, email="racer@example.com"))

    def hit(kind: str) -> bool:
        draws.append(kind)
        if len(draws) == 1:  # another thread: not a part of the transaction running here
            racer = threading.Thread(target=racing_write)
            racer.start()
            racer.join()
        return False

    monkeypatch.setattr(domain_faults, "hit", hit)
    return draws


@pytest.mark.parametrize("step", ["pay", "order"])
def test_a_transaction_run_again_draws_its_domain_faults_once(shared_app, monkeypatch, step):
    """A payment or an order that runs again after a racing write meets the same luck: each
    domain fault is drawn (and counted in /_sim/stats) once, not once per run."""
    client = shared_app.test_client()
    token, _ = register(client)
    shopper = Shopper(client, bearer(token))
    store = shared_app.extensions[EXTENSION].store
    shopper.add(affordable_products(store)[0])
    checkout_id = shopper.open()
    shopper.ready_to_pay(checkout_id)
    if step == "order":
        shopper.pay(checkout_id)
    draws = race_the_first_draw(monkeypatch, store, checkout_id)
    if step == "pay":
        shopper.pay(checkout_id)
        assert draws == ["card_declined"]
    else:
        assert shopper.order(checkout_id).status_code == 201
        assert draws == ["sold_out", "price_changed"]


def test_a_full_outbox_takes_the_lock_once_a_tenth_of_its_limit(shared_app, round_trips, monkeypatch):  # noqa: F811
    """Trimming the outbox scans it (under the lock); past its limit the oldest tenth goes at
    once, so the next mails only add one each."""
    from simulator.clock import Clock
    from simulator.mail import outbox

    monkeypatch.setattr(outbox, "OUTBOX_LIMIT", 100)
    store = shared_app.extensions[EXTENSION].store
    send = lambda n: outbox.send(store, Clock(), recipient="ada@example.org", subject=f"{n}", text="", template="t")  # noqa: E731
    for n in range(101):
        send(n)  # the first trim loads the lock's script
    trips = round_trips.during(lambda: [send(n) for n in range(101, 131)])
    assert locks_taken(trips) == 2, locks_taken(trips)  # at the 112th and the 123rd mail: each time back to 90
    assert store.count("mail") == 98

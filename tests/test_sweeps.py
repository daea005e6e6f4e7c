"""Background work reads only what is due (simulator/time_index.py): the order lifecycle,
idempotency expiry and guest-basket expiry touch the due records, however many others
the store holds, a bounded batch at a time with pauses between batches; on Redis an
idle pass is one round trip."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import timedelta

from simulator import idempotency
from simulator.clock import Clock
from simulator.http.blueprints import EXTENSION
from simulator.orders import service
from simulator.orders.model import ORDER, OrderStatus, StatusChange
from simulator.store import InMemoryStore
from tests.helpers.redis_server import redis_server, redis_url, round_trips  # noqa: F401 (fixtures)
from tests.helpers.shopping import Shopper, affordable_products, register_shopper


class CountedReads:
    """A store whose record reads are counted by id (each id of a `get_many` counts)."""

    def __init__(self, store):
        self._store, self.reads = store, Counter()

    def __getattr__(self, name):
        return getattr(self._store, name)

    def get(self, kind, record_id):
        self.reads[record_id] += 1
        return self._store.get(kind, record_id)

    def get_many(self, kind, record_ids):
        self.reads.update(record_ids)
        return self._store.get_many(kind, record_ids)

    def values(self, kind):
        raise AssertionError(f"a due pass must not read every {kind}")

    def ids_after(self, kind, after, limit, offset=0):
        raise AssertionError(f"a due pass must not walk every {kind}")


def place(shopper, product, payment_type="card") -> str:
    shopper.add(product)
    checkout = shopper.open()
    shopper.ready_to_pay(checkout, payment_type=payment_type)
    shopper.pay(checkout, None if payment_type == "card" else {})
    return shopper.order(checkout).get_json()["id"]


def delivered_copies(store, order_id: str, count: int) -> None:
    """`count` delivered orders like this one (loaded, as a long load test would leave them)."""
    order = store.get(ORDER, order_id)
    history = order.history + (StatusChange(OrderStatus.DELIVERED, order.history[-1].at),)
    store.load(ORDER, [
        dataclasses.replace(order, id=f"ord_done{n:06d}", number=f"AS-9{n:06d}", status=OrderStatus.DELIVERED, history=history)
        for n in range(count)
    ])


def test_a_lifecycle_pass_reads_only_the_due_order(shopper, products, sim, frozen):
    timings = service.OrderTimings.from_settings(sim.settings)
    done = place(shopper, products[0])
    delivered_copies(sim.store, done, 10_000)
    frozen.advance(timedelta(seconds=sim.settings.order_seconds_to_paid))
    service.catch_up(sim.store, frozen, timings, done)  # paid: not due again for half an hour
    due = place(shopper, products[1])
    frozen.advance(timedelta(seconds=sim.settings.order_seconds_to_paid))

    counted = CountedReads(sim.store)
    assert service.lifecycle_tick(counted, frozen, timings) == 1
    assert set(counted.reads) == {due} and sim.store.get(ORDER, due).status == "paid"
    counted.reads.clear()
    assert service.lifecycle_tick(counted, frozen, timings) == 0 and not counted.reads  # nothing due: nothing read


def test_seeded_history_has_nothing_due(sim, frozen):
    seeded = {order.id: order.status for order in sim.store.values(ORDER)}
    assert seeded and sim.store.set_size(service.DUE_SET) == 0  # seeded orders stay as seeded: none is indexed
    frozen.advance(timedelta(days=365))
    assert service.catch_up_all(sim.store, frozen, service.OrderTimings.from_settings(sim.settings)) == 0
    assert {order.id: order.status for order in sim.store.values(ORDER)} == seeded


def test_a_lifecycle_tick_takes_a_bounded_number_of_rounds_and_pauses_between_them(shopper, products, sim, frozen, monkeypatch):
    placed = [place(shopper, product) for product in products[:3]]
    pauses = []
    monkeypatch.setattr(service, "LIFECYCLE_BATCH", 1)
    monkeypatch.setattr(service, "LIFECYCLE_ROUNDS_PER_TICK", 2)
    monkeypatch.setattr(service, "cooperative_yield", lambda: pauses.append(len(pauses)))
    frozen.advance(timedelta(seconds=sim.settings.order_seconds_to_paid))
    timings = service.OrderTimings.from_settings(sim.settings)

    assert service.lifecycle_tick(sim.store, frozen, timings) == 2 and len(pauses) == 1  # two rounds, a pause between
    assert sorted(sim.store.get(ORDER, order_id).status for order_id in placed) == ["paid", "paid", "placed"]
    assert service.lifecycle_tick(sim.store, frozen, timings) == 1  # the next tick moves what was left
    assert {sim.store.get(ORDER, order_id).status for order_id in placed} == {"paid"}


def test_advancing_the_clock_by_days_moves_every_order_to_the_end_in_bounded_batches(shopper, products, sim, frozen, monkeypatch):
    placed = [place(shopper, product) for product in products[:5]]
    pauses = []
    monkeypatch.setattr(service, "LIFECYCLE_BATCH", 2)
    monkeypatch.setattr(service, "cooperative_yield", lambda: pauses.append(len(pauses)))
    frozen.advance(timedelta(days=4))
    assert service.catch_up_all(sim.store, frozen, service.OrderTimings.from_settings(sim.settings)) == 5
    assert {sim.store.get(ORDER, order_id).status for order_id in placed} == {"delivered"}
    assert len(pauses) == 2  # 2, a pause, 2, a pause, 1
    assert sim.store.set_size(service.DUE_SET) == 0  # delivered orders leave the index


def test_cancelling_or_paying_an_order_keeps_the_index_in_step(shopper, products, sim, frozen):
    cancelled = place(shopper, products[0])
    assert shopper.call("post", f"/api/v1/orders/{cancelled}/cancel", json={"reason": "changed my mind"}).status_code == 200
    assert sim.store.set_size(service.DUE_SET) == 0  # a cancelled order has nothing due

    transfer = place(shopper, products[1], payment_type="bank_transfer")
    timings = service.OrderTimings.from_settings(sim.settings)
    member = lambda: service.due_index(timings).member(sim.store.get(ORDER, transfer))  # noqa: E731
    timeout = member()
    assert sim.store.set_members(service.DUE_SET) == [timeout]  # due to time out
    service.mark_paid(sim.store, frozen, timings, transfer)
    assert sim.store.set_members(service.DUE_SET) == [member()] != [timeout]  # now due to be processed
    frozen.advance(timedelta(seconds=timings.awaiting_payment_timeout + 1))
    service.catch_up_all(sim.store, frozen, timings)
    assert sim.store.get(ORDER, transfer).status == "delivered"  # paid in time: never timed out


def test_the_idempotency_sweep_reads_only_the_expired_records_a_batch_between_pauses(monkeypatch):
    store, clock, pauses = InMemoryStore(1), Clock(), []
    clock.freeze()
    monkeypatch.setattr(idempotency, "EXPIRY", dataclasses.replace(idempotency.EXPIRY, batch=4))
    monkeypatch.setattr(idempotency, "cooperative_yield", lambda: pauses.append(store.count(idempotency.IDEMPOTENCY)))
    for n in range(10):
        idempotency.run(store, clock, "scope", f"key-{n}", "fp", lambda: n)
    clock.advance(timedelta(seconds=idempotency.DEFAULT_TTL_SECONDS + 1))
    for n in range(1000):
        idempotency.run(store, clock, "scope", f"fresh-{n}", "fp", lambda: "fresh")
    counted = CountedReads(store)
    assert idempotency.sweep_expired(counted, clock.timestamp()) == 10
    assert store.count(idempotency.IDEMPOTENCY) == 1000  # the fresh keys stay
    assert len(counted.reads) == 10  # only the expired were read
    assert pauses == [1006, 1002]  # a batch of 4 went before each pause


def test_the_guest_basket_sweep_forgets_expired_baskets_a_batch_between_pauses(client, sim, frozen, monkeypatch):
    from simulator.basket import service as baskets
    from simulator.basket.model import BASKET

    pauses = []
    monkeypatch.setattr(baskets, "GUEST_AGES", dataclasses.replace(baskets.GUEST_AGES, batch=3))
    monkeypatch.setattr(baskets, "cooperative_yield", lambda: pauses.append(sim.store.count(BASKET)))
    for _ in range(5):
        assert client.post("/api/v1/baskets").status_code == 201
    frozen.advance(timedelta(seconds=sim.settings.guest_basket_ttl_seconds + 1))
    assert client.post("/api/v1/baskets").status_code == 201  # creating one sweeps nothing
    assert sim.store.count(BASKET) == 6
    assert baskets.sweep_expired(sim.store, frozen, baskets.BasketRules.from_settings(sim.settings)) == 5
    assert sim.store.count(BASKET) == 1 and pauses == [3]  # only the expired are read: 3, a pause, then 2


def test_on_redis_an_idle_pass_is_one_round_trip_however_many_records(make_app, redis_url, round_trips):  # noqa: F811
    app = make_app(store=redis_url)
    sim = app.extensions[EXTENSION]
    sim.clock.freeze()
    client = app.test_client()
    buyer = Shopper(client, register_shopper(client))
    products = affordable_products(sim.store)
    delivered_copies(sim.store, place(buyer, products[0]), 2_000)
    place(buyer, products[1])  # live, its next step not due yet
    timings = service.OrderTimings.from_settings(sim.settings)
    service.lifecycle_tick(sim.store, sim.clock, timings)  # scripts loaded, what was due moved
    idempotency.sweep_expired(sim.store, sim.clock.timestamp())

    round_trips.clear()
    assert service.lifecycle_tick(sim.store, sim.clock, timings) == 0
    assert len(round_trips) == 1, round_trips
    round_trips.clear()
    assert idempotency.sweep_expired(sim.store, sim.clock.timestamp()) == 0
    assert len(round_trips) == 1, round_trips

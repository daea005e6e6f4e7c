"""Sweeps do bounded work a step and carry on where they stopped (simulator/sweeps.py),
and the sweeps built on them (idempotency records, the order lifecycle) or on an age index
(guest baskets) pause between batches."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import timedelta

from simulator import idempotency
from simulator.clock import Clock
from simulator.store import InMemoryStore
from simulator.sweeps import Sweep


@dataclass(frozen=True, slots=True)
class Thing:
    id: str
    doomed: bool = False


def things(count: int) -> InMemoryStore:
    store = InMemoryStore()
    for n in range(count):
        store.put("thing", Thing(f"t_{n:04d}", doomed=n % 2 == 0))
    return store


def test_a_pass_visits_every_record_once_a_batch_a_step_in_id_order():
    store, seen = things(250), []
    sweep = Sweep("thing", "test", batch=100)
    assert [sweep.step(store, 0.0, seen.append) for _ in range(3)] == [False, False, True]
    assert [thing.id for thing in seen] == [thing.id for thing in store.values("thing")]


def test_a_visit_may_delete_what_it_sees():
    store = things(250)
    sweep = Sweep("thing", "test", batch=100)

    def forget_doomed(thing):
        if thing.doomed:
            store.delete("thing", thing.id)

    while not sweep.step(store, 0.0, forget_doomed):
        pass
    assert store.count("thing") == 125 and not any(thing.doomed for thing in store.values("thing"))


def test_the_next_pass_starts_when_due_and_sees_records_added_meanwhile():
    store, seen = things(3), []
    sweep = Sweep("thing", "test", batch=10, every=60)
    assert sweep.step(store, 1000.0, seen.append) and len(seen) == 3
    store.put("thing", Thing("t_0000a"))  # behind the place of the pass that ended
    assert sweep.step(store, 1059.0, seen.append) and len(seen) == 3  # not due yet
    assert sweep.step(store, 1060.0, seen.append) and len(seen) == 7


def test_each_store_keeps_its_own_place():
    first, second, seen = things(5), things(5), []
    sweep = Sweep("thing", "test", batch=3)
    assert not sweep.step(first, 0.0, seen.append)
    assert not sweep.step(second, 0.0, seen.append)  # a pass of its own, from the start
    assert [thing.id for thing in seen] == ["t_0000", "t_0001", "t_0002"] * 2


def test_the_idempotency_sweep_forgets_expired_records_a_batch_between_pauses(monkeypatch):
    store, clock, pauses = InMemoryStore(1), Clock(), []
    clock.freeze()
    monkeypatch.setattr(idempotency, "SWEEP", Sweep(idempotency.IDEMPOTENCY, "idempotency.sweep", batch=4))
    monkeypatch.setattr(idempotency, "cooperative_yield", lambda: pauses.append(store.count(idempotency.IDEMPOTENCY)))
    for n in range(10):
        idempotency.run(store, clock, "scope", f"key-{n}", "fp", lambda: n)
    clock.advance(timedelta(seconds=idempotency.DEFAULT_TTL_SECONDS + 1))
    idempotency.run(store, clock, "scope", "fresh", "fp", lambda: "fresh")
    assert idempotency.sweep_expired(store, clock.timestamp()) == 10
    assert store.count(idempotency.IDEMPOTENCY) == 1  # the fresh key stays
    assert pauses == [7, 3]  # a batch of 4 went before each pause


def test_the_guest_basket_sweep_forgets_expired_baskets_a_batch_between_pauses(client, sim, frozen, monkeypatch):
    from simulator.basket import service
    from simulator.basket.model import BASKET

    pauses = []
    monkeypatch.setattr(service, "GUEST_AGES", dataclasses.replace(service.GUEST_AGES, batch=3))
    monkeypatch.setattr(service, "cooperative_yield", lambda: pauses.append(sim.store.count(BASKET)))
    for _ in range(5):
        assert client.post("/api/v1/baskets").status_code == 201
    frozen.advance(timedelta(seconds=sim.settings.guest_basket_ttl_seconds + 1))
    assert client.post("/api/v1/baskets").status_code == 201  # creating one sweeps nothing
    assert sim.store.count(BASKET) == 6
    assert service.sweep_expired(sim.store, frozen, service.BasketRules.from_settings(sim.settings)) == 5
    assert sim.store.count(BASKET) == 1 and pauses == [3]  # only the expired are read: 3, a pause, then 2


class CountedSweep:
    """A sweep that counts its steps."""

    def __init__(self, sweep: Sweep):
        self.sweep, self.steps = sweep, 0

    def step(self, *args) -> bool:
        self.steps += 1
        return self.sweep.step(*args)


def test_a_lifecycle_tick_takes_a_bounded_number_of_steps_and_pauses_between_them(
    shopper, products, sim, frozen, monkeypatch
):
    from simulator.orders import service
    from simulator.orders.model import ORDER

    placed = []
    for product in products[:3]:
        shopper.add(product)
        checkout = shopper.open()
        shopper.ready_to_pay(checkout)
        shopper.pay(checkout)
        placed.append(shopper.order(checkout).get_json()["id"])
    sweep, pauses = CountedSweep(Sweep(ORDER, "orders.lifecycle", batch=1)), []
    monkeypatch.setattr(service, "LIFECYCLE_SWEEP", sweep)
    monkeypatch.setattr(service, "LIFECYCLE_STEPS_PER_TICK", 2)
    monkeypatch.setattr(service, "cooperative_yield", lambda: pauses.append(sweep.steps))
    frozen.advance(timedelta(seconds=sim.settings.order_seconds_to_paid))
    timings = service.OrderTimings.from_settings(sim.settings)

    assert service.lifecycle_tick(sim.store, frozen, timings) <= 2
    assert (sweep.steps, pauses) == (2, [1])  # one order a step, two steps, a pause between them
    for _ in range(sim.store.count(ORDER)):  # a whole pass, whatever the seeded orders
        service.lifecycle_tick(sim.store, frozen, timings)
    assert {sim.store.get(ORDER, order_id).status for order_id in placed} == {"paid"}

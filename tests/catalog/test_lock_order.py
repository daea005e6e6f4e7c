"""The catalog read model and the store lock in one order: pricing asks the read model
for category ancestry from inside store transactions (the store's lock held), while a
browse holds the model's lock and then reads the store. Had `ancestry` taken the model's
lock, two such requests would wait on each other for ever; under load the whole server
stopped answering."""

from __future__ import annotations

import dataclasses
import threading
import time

from simulator.catalog import index, service
from simulator.catalog.index import ProductQuery
from simulator.catalog.model import CATEGORY, PRODUCT


def test_ancestry_inside_a_store_transaction_does_not_wait_for_a_browse_holding_the_model(sim):
    store = sim.store
    model = index.read_model(store)
    model.refresh()
    product = next(iter(store.values(PRODUCT)))
    with store.atomic():  # the model is behind: a browse reads the store
        store.put(PRODUCT, dataclasses.replace(product, stock=product.stock + 1))
        store.log_change(PRODUCT, product.id, False, sim.clock.timestamp())
    in_transaction, done = threading.Event(), {}

    def pricing() -> None:  # as a checkout step prices its basket inside store.update
        with store.atomic():
            in_transaction.set()
            deadline = time.monotonic() + 5
            while model._lock.acquire(blocking=False):  # until the browse holds the model
                model._lock.release()
                if time.monotonic() > deadline:
                    break
                time.sleep(0.001)
            else:
                done["browse held the model"] = True
            done["ancestry"] = service.category_ancestry(store)(product.category_ids)

    def browsing() -> None:
        in_transaction.wait(5)
        done["browse"] = service.browse(store, ProductQuery(), 1, 5)

    threads = [threading.Thread(target=pricing, daemon=True), threading.Thread(target=browsing, daemon=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert not any(thread.is_alive() for thread in threads), "deadlock: store lock → model lock against model lock → store lock"
    assert done.get("browse held the model"), "the race was not set up: the browse never held the model's lock"
    assert set(product.category_ids) <= done["ancestry"]
    assert done["browse"][1] == store.count(PRODUCT)


def test_ancestry_follows_a_category_change_at_once(sim):
    store = sim.store
    child = next(category for category in store.values(CATEGORY) if category.parent_id is not None)
    before = service.category_ancestry(store)((child.id,))
    assert child.parent_id in before
    with store.atomic():  # as any category change: written and logged
        store.put(CATEGORY, dataclasses.replace(child, parent_id=None))
        store.log_change(CATEGORY, child.id, False, sim.clock.timestamp())
    assert service.category_ancestry(store)((child.id,)) == frozenset({child.id})

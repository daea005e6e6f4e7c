from datetime import timedelta

from simulator.catalog import service
from simulator.catalog.model import PRODUCT
from simulator.simulation import churn


def test_tick_applies_the_changes_due_on_the_simulated_clock(sim, frozen):
    store = sim.store
    assert sim.churn.tick(store, frozen, 6.0) == 0  # the first tick only starts the count
    frozen.advance(timedelta(seconds=30))
    assert sim.churn.tick(store, frozen, 6.0) == 3
    frozen.advance(timedelta(seconds=15))  # 1.5 due: one now, the half carried over
    assert sim.churn.tick(store, frozen, 6.0) == 1
    frozen.advance(timedelta(seconds=5))
    assert sim.churn.tick(store, frozen, 6.0) == 1
    assert store.last_seq(PRODUCT) == 5
    assert sim.churn.tick(store, frozen, 6.0) == 0  # a frozen clock: no churn


def test_a_rate_of_zero_turns_churn_off(sim, frozen):
    sim.churn.tick(sim.store, frozen, 0)
    frozen.advance(timedelta(hours=1))
    assert sim.churn.tick(sim.store, frozen, 0) == 0 and sim.store.last_seq(PRODUCT) == 0


def test_a_long_jump_of_the_clock_is_capped(sim, frozen):
    sim.churn.tick(sim.store, frozen, 60)
    frozen.advance(timedelta(days=30))
    assert sim.churn.tick(sim.store, frozen, 60) == churn.MAX_CHANGES_PER_TICK


def test_a_reset_starts_the_count_afresh(sim, frozen):
    sim.churn.tick(sim.store, frozen, 60)
    sim.reset()
    sim.clock.freeze()
    sim.clock.advance(timedelta(seconds=30))
    assert sim.churn.tick(sim.store, sim.clock, 60) == 0  # the first tick after a reset only starts the count
    sim.clock.advance(timedelta(seconds=30))
    assert sim.churn.tick(sim.store, sim.clock, 60) == 30


def test_changes_follow_the_mix_and_the_catalog_rules(sim, frozen):
    store = sim.store
    before = {p.id: p for p in store.values(PRODUCT)}
    done = churn.apply_changes(store, frozen, 400)
    assert sum(done.values()) == 400
    assert all(20 <= done[kind] <= 70 for kind in ("create", "delete"))
    assert all(120 <= done[kind] <= 200 for kind in ("price", "stock"))
    after = {p.id: p for p in store.values(PRODUCT)}
    assert len(after) == len(before) + done["create"] - done["delete"]
    for product in after.values():
        assert product.price > 0 and product.stock >= 0
        assert product.compare_at_price is None or product.compare_at_price > product.price
    feed = service.changes_since(store, frozen, 3600, service.export_page(store, None, 1).sync_token, 1)
    assert feed.changes == []  # the token taken now is after every change


def test_churn_is_deterministic_for_a_seed(make_app):
    from simulator.http.blueprints import EXTENSION

    def run():
        sim = make_app().extensions[EXTENSION]
        sim.clock.freeze()
        churn.apply_changes(sim.store, sim.clock, 50)
        return [(p.id, p.price, p.stock) for p in sim.store.values(PRODUCT)]

    assert run() == run()

"""The time index: earliest first, expiry and due work read only what is due, a cap evicts the longest untouched."""

from __future__ import annotations

from dataclasses import dataclass, replace

from simulator.store import InMemoryStore
from simulator.time_index import TimeIndex


@dataclass(frozen=True)
class Thing:
    id: str
    touched: float
    version: int = 1


AGES = TimeIndex("thing", "thing.ages", lambda thing: thing.touched)


def put(store, thing, before=None):
    store.put("thing", thing)
    AGES.replaced(store, before, thing)
    return thing


def test_expire_deletes_what_was_untouched_since_and_stops_at_the_first_fresh_one():
    store = InMemoryStore()
    for number, touched in enumerate((30.0, 10.0, 20.0, 40.0)):
        put(store, Thing(f"t{number}", touched))
    forgotten = []
    assert AGES.expire(store, before=30.0, forget=forgotten.append) == 2
    assert sorted(t.id for t in forgotten) == ["t1", "t2"]
    assert sorted(t.id for t in store.values("thing")) == ["t0", "t3"] and AGES.size(store) == 2


def test_a_touch_moves_a_record_to_the_young_end():
    store = InMemoryStore()
    old = put(store, Thing("a", 1.0))
    put(store, Thing("b", 2.0))
    put(store, replace(old, touched=3.0), before=old)
    assert AGES.evict_beyond(store, 1) == 1
    assert [t.id for t in store.values("thing")] == ["a"] and AGES.size(store) == 1


def test_stale_members_are_dropped_never_acted_on():
    store = InMemoryStore()
    thing = put(store, Thing("a", 1.0))
    store.put("thing", replace(thing, touched=5.0))  # touched without the index: its member is stale
    put(store, Thing("b", 2.0))
    assert AGES.expire(store, before=4.0) == 1  # only b's own member counts; a stays, its stale member goes
    assert [t.id for t in store.values("thing")] == ["a"] and AGES.size(store) == 0


def test_delete_takes_the_record_and_its_member():
    store = InMemoryStore()
    thing = put(store, Thing("a", 1.0))
    AGES.delete(store, thing)
    assert store.get("thing", "a") is None and AGES.size(store) == 0


def test_eviction_works_through_more_than_one_round():
    store = InMemoryStore()
    for number in range(1200):
        put(store, Thing(f"t{number:04d}", float(number)))
    assert AGES.evict_beyond(store, 100) == 1100
    assert [t.id for t in store.values("thing")][:1] == ["t1100"] and AGES.size(store) == 100


DUE = TimeIndex("thing", "thing.due", lambda thing: None if thing.touched < 0 else thing.touched, batch=2)


def test_walk_due_acts_on_what_is_due_at_or_before_its_time_earliest_first_a_round_at_a_time():
    store, seen, pauses = InMemoryStore(), [], []
    for number, due in enumerate((30.0, 10.0, 20.0, 40.0)):
        thing = Thing(f"t{number}", due)
        store.put("thing", thing)
        DUE.added(store, thing)

    def act(thing):  # done: nothing due any more
        seen.append(thing.id)
        DUE.replaced(store, thing, replace(thing, touched=-1.0))

    assert DUE.walk_due(store, 30.0, act, lambda: pauses.append(list(seen)), rounds=1) == 2  # one round of 2
    assert DUE.walk_due(store, 30.0, act, lambda: pauses.append(list(seen))) == 1  # 30.0 is due at 30.0
    assert seen == ["t1", "t2", "t0"] and pauses == [] and DUE.size(store) == 1
    assert DUE.expire(store, 40.0) == 0 and DUE.expire(store, 40.001) == 1  # expiry: strictly before


def test_a_record_with_nothing_due_has_no_member():
    store = InMemoryStore()
    thing = Thing("a", 5.0)
    DUE.added(store, thing)
    DUE.replaced(store, thing, replace(thing, touched=-1.0))
    assert DUE.size(store) == 0
    DUE.added(store, replace(thing, touched=-1.0))
    assert DUE.size(store) == 0

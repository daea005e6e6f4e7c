"""The age index: oldest first, expiry reads only what expired, a cap evicts the longest untouched."""

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

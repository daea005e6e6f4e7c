import threading
from dataclasses import dataclass, replace

import pytest

from simulator.store import InMemoryStore, RecordNotFound, VersionConflict, encode_id


@dataclass(frozen=True, slots=True)
class Thing:
    id: str
    owner_id: str | None = None
    count: int = 0
    version: int = 1


def test_put_get_delete_and_order():
    store = InMemoryStore()
    for record_id in ("t_c", "t_a", "t_b"):
        store.put("thing", Thing(record_id))
    assert [t.id for t in store.values("thing")] == ["t_a", "t_b", "t_c"]
    assert store.ids_after("thing", "t_a", 5) == ["t_b", "t_c"]
    assert store.ids_after("thing", None, 2) == ["t_a", "t_b"]
    assert store.delete("thing", "t_b").id == "t_b"
    assert store.get("thing", "t_b") is None and store.delete("thing", "t_b") is None
    assert store.count("thing") == 2


def test_owner_index_follows_changes_of_owner():
    store = InMemoryStore()
    store.put("thing", Thing("t_1", owner_id="alice"))
    store.put("thing", Thing("t_2", owner_id="alice"))
    store.put("thing", Thing("t_1", owner_id="bob"))
    assert [t.id for t in store.by_owner("thing", "alice")] == ["t_2"]
    assert [t.id for t in store.by_owner("thing", "bob")] == ["t_1"]
    store.delete("thing", "t_2")
    assert store.by_owner("thing", "alice") == []


def test_update_checks_version_and_writes_nothing_on_failure():
    store = InMemoryStore()
    store.put("thing", Thing("t_1"))
    bumped = store.update("thing", "t_1", lambda t: replace(t, count=1, version=t.version + 1), expected_version=1)
    assert bumped.version == 2
    with pytest.raises(VersionConflict):
        store.update("thing", "t_1", lambda t: replace(t, count=99), expected_version=1)
    with pytest.raises(RecordNotFound):
        store.update("thing", "t_missing", lambda t: t)

    def refuse(thing):
        raise ValueError("no")

    with pytest.raises(ValueError):
        store.update("thing", "t_1", refuse)
    assert store.get("thing", "t_1").count == 1


def test_concurrent_updates_lose_nothing():
    store = InMemoryStore()
    store.put("thing", Thing("t_1"))

    def bump():
        for _ in range(500):
            store.update("thing", "t_1", lambda t: replace(t, count=t.count + 1))

    threads = [threading.Thread(target=bump) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.get("thing", "t_1").count == 4000


def test_ids_are_deterministic_for_a_seed_and_never_repeat():
    first, second = InMemoryStore(seed=5), InMemoryStore(seed=5)
    ids = [first.new_id("prd") for _ in range(1000)]
    assert ids == [second.new_id("prd") for _ in range(1000)]
    assert len(set(ids)) == 1000
    assert all(i.startswith("prd_") and len(i) == 16 for i in ids)
    assert InMemoryStore(seed=6).new_id("prd") != ids[0]


def test_named_sequences_count_from_one_each_on_its_own():
    store = InMemoryStore()
    assert [store.next_seq("a") for _ in range(3)] == [1, 2, 3]
    assert store.next_seq("b") == 1
    assert store.next_seq("a") == 4
    assert InMemoryStore().next_seq("a") == 1  # a new store (a reset) starts afresh


def test_a_named_sequence_never_repeats_under_concurrent_callers():
    store = InMemoryStore()
    seen: list[int] = []

    def draw():
        seen.extend(store.next_seq("ids") for _ in range(500))

    threads = [threading.Thread(target=draw) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(seen) == list(range(1, 4001))


def test_a_named_set_keeps_its_members_once_in_lexical_order():
    store = InMemoryStore()
    for member in ("m_c", "m_a", "m_b", "m_a"):
        store.set_add("open", member)
    assert store.set_members("open") == ["m_a", "m_b", "m_c"] and store.set_size("open") == 3
    assert store.set_members("other") == [] and store.set_size("other") == 0  # an unknown set is empty
    store.set_remove("open", "m_b")
    store.set_remove("open", "m_missing")  # absent: nothing happens
    assert store.set_members("open") == ["m_a", "m_c"] and store.set_size("open") == 2


def test_a_named_set_reads_in_pages_after_a_member():
    store = InMemoryStore()
    for number in range(10):
        store.set_add("open", encode_id("m", number))
    assert store.set_members("open", limit=3) == [encode_id("m", n) for n in range(3)]
    assert store.set_members("open", after=encode_id("m", 6)) == [encode_id("m", n) for n in (7, 8, 9)]
    assert store.set_members("open", after=encode_id("m", 2), limit=2) == [encode_id("m", 3), encode_id("m", 4)]
    assert store.set_members("open", after="m_zzz") == []
    for number in range(10):
        store.set_remove("open", encode_id("m", number))
    assert store.set_members("open", limit=1) == []


def test_encode_id_is_fixed_width_and_order_preserving():
    assert encode_id("x", 0) == "x_000000000000"
    assert encode_id("x", 31) < encode_id("x", 32) < encode_id("x", 2**60 - 1)


def test_change_log_coalesces_per_record_and_reads_in_sequence_order():
    store = InMemoryStore()
    assert store.log_change("product", "p_a", False, at=1.0) == 1
    store.log_change("product", "p_b", False, at=2.0)
    store.log_change("product", "p_a", False, at=3.0)  # supersedes seq 1
    store.log_change("product", "p_c", True, at=4.0)
    changes = store.changes_since("product", 0, 10)
    assert [(c.seq, c.record_id, c.deleted) for c in changes] == [(2, "p_b", False), (3, "p_a", False), (4, "p_c", True)]
    assert [c.seq for c in store.changes_since("product", 2, 10)] == [3, 4]
    assert [c.seq for c in store.changes_since("product", 0, 2)] == [2, 3]
    assert store.last_seq("product") == 4


def test_purging_old_deletions_raises_the_oldest_valid_token():
    store = InMemoryStore()
    store.log_change("product", "p_a", True, at=10.0)
    store.log_change("product", "p_b", False, at=20.0)
    store.log_change("product", "p_c", True, at=30.0)
    assert store.purge_deletions("product", before=25.0) == 1
    assert store.oldest_valid_seq("product") == 1
    assert [c.record_id for c in store.changes_since("product", 0, 10)] == ["p_b", "p_c"]
    assert store.purge_deletions("product", before=25.0) == 0

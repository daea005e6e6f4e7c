"""The store interface, held by each implementation: in memory, and Redis (a real
redis-server, tests/helpers/redis_server.py)."""

from dataclasses import replace
from functools import partial

import pytest

from simulator.store import ReadAhead, RecordNotFound, VersionConflict, encode_id
from tests.helpers.concurrency import run_at_once
from tests.helpers.redis_server import redis_server, redis_url, round_trips  # noqa: F401 (fixtures)
from tests.store.things import Thing


def test_put_get_delete_and_order(make_store):
    store = make_store()
    for record_id in ("t_c", "t_a", "t_b"):
        store.put("thing", Thing(record_id))
    assert [t.id for t in store.values("thing")] == ["t_a", "t_b", "t_c"]
    assert store.ids_after("thing", "t_a", 5) == ["t_b", "t_c"]
    assert store.ids_after("thing", None, 2) == ["t_a", "t_b"]
    assert store.delete("thing", "t_b").id == "t_b"
    assert store.get("thing", "t_b") is None and store.delete("thing", "t_b") is None
    assert store.count("thing") == 2


def test_owner_index_follows_changes_of_owner(make_store):
    store = make_store()
    store.put("thing", Thing("t_1", owner_id="alice"))
    store.put("thing", Thing("t_2", owner_id="alice"))
    store.put("thing", Thing("t_1", owner_id="bob"))
    assert [t.id for t in store.by_owner("thing", "alice")] == ["t_2"]
    assert [t.id for t in store.by_owner("thing", "bob")] == ["t_1"]
    store.delete("thing", "t_2")
    assert store.by_owner("thing", "alice") == []


def test_update_checks_version_and_writes_nothing_on_failure(make_store):
    store = make_store()
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


def test_concurrent_updates_lose_nothing(make_store):
    store = make_store()
    store.put("thing", Thing("t_1"))

    def bump():
        for _ in range(500):
            store.update("thing", "t_1", lambda t: replace(t, count=t.count + 1))

    run_at_once(*[bump] * 8)
    assert store.get("thing", "t_1").count == 4000


def test_updates_from_a_record_read_earlier_lose_nothing_and_carry_their_writes(make_store):
    # As a basket change runs: read the record, then update it from what was read (`seen`),
    # with an index write (`also`) that must go with exactly the update that commits. Other
    # threads write between the read and the update, so a stale `seen` must be retried.
    store = make_store()
    store.put("thing", Thing("t_1"))

    def bump():
        for _ in range(200):
            seen = store.get("thing", "t_1")
            store.update(
                "thing", "t_1", lambda t: replace(t, count=t.count + 1), seen=seen,
                also=lambda before, after: store.set_add("counts", f"{before.count}>{after.count}"),
            )

    run_at_once(*[bump] * 8)
    assert store.get("thing", "t_1").count == 1600
    assert store.set_members("counts") == sorted(f"{n}>{n + 1}" for n in range(1600))


def test_ids_are_deterministic_for_a_seed_and_never_repeat(make_store):
    first, second = make_store(seed=5), make_store(seed=5)
    ids = [first.new_id("prd") for _ in range(1000)]
    assert ids == [second.new_id("prd") for _ in range(1000)]
    assert len(set(ids)) == 1000
    assert all(i.startswith("prd_") and len(i) == 16 for i in ids)
    assert make_store(seed=6).new_id("prd") != ids[0]


def test_named_sequences_count_from_one_each_on_its_own(make_store):
    store = make_store()
    assert [store.next_seq("a") for _ in range(3)] == [1, 2, 3]
    assert store.next_seq("b") == 1
    assert store.next_seq("a") == 4
    assert make_store().next_seq("a") == 1  # a new store (a reset) starts afresh


def test_a_named_sequence_never_repeats_under_concurrent_callers(make_store):
    store = make_store()
    seen: list[int] = []

    def draw():
        seen.extend(store.next_seq("ids") for _ in range(500))

    run_at_once(*[draw] * 8)
    assert sorted(seen) == list(range(1, 4001))


def test_a_named_set_keeps_its_members_once_in_lexical_order(make_store):
    store = make_store()
    for member in ("m_c", "m_a", "m_b", "m_a"):
        store.set_add("open", member)
    assert store.set_members("open") == ["m_a", "m_b", "m_c"] and store.set_size("open") == 3
    assert store.set_members("other") == [] and store.set_size("other") == 0  # an unknown set is empty
    store.set_remove("open", "m_b")
    store.set_remove("open", "m_missing")  # absent: nothing happens
    assert store.set_members("open") == ["m_a", "m_c"] and store.set_size("open") == 2
    with store.atomic():  # inside a section, its own writes count before they are committed
        store.set_add("open", "m_d")
        store.set_remove("open", "m_a")
        store.set_add("open", "m_c")  # already a member: no change
        store.set_remove("open", "m_missing")  # never one: no change
        assert store.set_size("open") == 2 and store.set_members("open") == ["m_c", "m_d"]
    assert store.set_size("open") == 2


def test_a_named_set_reads_in_pages_after_a_member(make_store):
    store = make_store()
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
    assert encode_id("x", 31) < encode_id("x", 32) < encode_id("x", 2**60 - 1) == "x_zzzzzzzzzzzz"
    assert encode_id("x", 2**60 + 33) == encode_id("x", 33) == "x_000000000011"  # the low 60 bits


def test_change_log_coalesces_per_record_and_reads_in_sequence_order(make_store):
    store = make_store()
    store.log_change("product", "p_a", False, at=1.0)
    assert store.last_seq("product") == 1
    store.log_change("product", "p_b", False, at=2.0)
    store.log_change("product", "p_a", False, at=3.0)  # supersedes seq 1
    store.log_change("product", "p_c", True, at=4.0)
    changes = store.changes_since("product", 0, 10)
    assert [(c.seq, c.record_id, c.deleted) for c in changes] == [(2, "p_b", False), (3, "p_a", False), (4, "p_c", True)]
    assert [c.seq for c in store.changes_since("product", 2, 10)] == [3, 4]
    assert [c.seq for c in store.changes_since("product", 0, 2)] == [2, 3]
    assert store.last_seq("product") == 4


def test_purging_old_deletions_raises_the_oldest_valid_token(make_store):
    store = make_store()
    store.log_change("product", "p_a", True, at=10.0)
    store.log_change("product", "p_b", False, at=20.0)
    store.log_change("product", "p_c", True, at=30.0)
    assert store.purge_deletions("product", before=25.0) == 1
    assert store.oldest_valid_seq("product") == 1
    assert [c.record_id for c in store.changes_since("product", 0, 10)] == ["p_b", "p_c"]
    assert store.purge_deletions("product", before=25.0) == 0


def test_a_section_reads_its_own_writes(make_store):
    store = make_store()
    for record_id in ("t_a", "t_b", "t_c"):
        store.put("thing", Thing(record_id, owner_id="alice"))
    with store.atomic():
        store.put("thing", Thing("t_d", owner_id="alice"))
        store.delete("thing", "t_b")
        store.put("thing", Thing("t_a", owner_id="bob"))
        store.set_add("open", "m_1")
        assert store.get("thing", "t_d") is not None and store.get("thing", "t_b") is None
        assert store.count("thing") == 3
        assert [t.id for t in store.values("thing")] == ["t_a", "t_c", "t_d"]
        assert store.ids_after("thing", "t_a", 5) == ["t_c", "t_d"]
        assert store.ids_after("thing", None, 2, offset=1) == ["t_c", "t_d"]
        assert [t.id for t in store.by_owner("thing", "alice")] == ["t_c", "t_d"]
        assert store.set_members("open") == ["m_1"]
    assert [t.id for t in store.by_owner("thing", "bob")] == ["t_a"]


# -- Redis: what several processes sharing one store see ----------------------------------
def test_a_failing_section_writes_nothing(two_processes):
    store, _ = two_processes
    store.put("thing", Thing("t_c"))
    with pytest.raises(RuntimeError), store.atomic():
        store.put("thing", Thing("t_e"))
        store.delete("thing", "t_c")
        store.log_change("thing", "t_e", False, at=1.0)
        raise RuntimeError("refused halfway")
    assert store.get("thing", "t_e") is None and store.get("thing", "t_c") is not None
    assert store.last_seq("thing") == 0


def test_local_kinds_catch_up_with_other_processes(two_processes):
    one, other = two_processes
    one.put("thing", Thing("t_a"))
    assert other.get("thing", "t_a") == Thing("t_a")  # first read loads the kind
    one.update("thing", "t_a", lambda t: replace(t, count=5, version=2))
    one.put("thing", Thing("t_b"))
    one.delete("thing", "t_a")
    assert other.get("thing", "t_a") is None and [t.id for t in other.values("thing")] == ["t_b"]
    other.auto_refresh = False  # as under a Runtime: fresh only as of what it was told
    one.put("thing", Thing("t_c"))
    assert other.count("thing") == 1
    other.observe({"thing": int(other.client.get(other.journal_count_keys()[0]))})
    assert other.count("thing") == 2


def test_the_change_log_of_a_local_kind_reads_as_far_as_its_local_copy(two_processes):
    one, other = two_processes
    other.auto_refresh = False  # as under a Runtime: fresh only as of what it was told
    assert other.values("thing") == []
    with one.atomic():
        one.put("thing", Thing("t_a", count=1))
        one.log_change("thing", "t_a", False, at=1.0)
    # Not told yet: neither the position nor the log is ahead of the copy (no sync token
    # promises a product the copy does not show).
    assert other.last_seq("thing") == 0 and other.changes_since("thing", 0, 10) == []
    other.observe({"thing": int(other.client.get(other.journal_count_keys()[0]))})
    assert other.last_seq("thing") == 1 and [c.record_id for c in other.changes_since("thing", 0, 10)] == ["t_a"]
    assert other.get("thing", "t_a").count == 1


def test_sections_of_two_processes_exclude_each_other(two_processes):
    one, other = two_processes
    one.put("thing", Thing("t_1"))

    def bump(store):
        for _ in range(100):
            with store.atomic():
                current = store.get("thing", "t_1")
                store.put("thing", replace(current, count=current.count + 1))

    run_at_once(*(partial(bump, store) for store in (one, other, one, other)))
    assert one.get("thing", "t_1").count == 400


def test_optimistic_updates_of_two_processes_lose_nothing(two_processes):
    one, other = two_processes
    one.put("thing", Thing("t_1"))

    def bump(store):
        for _ in range(100):
            store.update("thing", "t_1", lambda t: replace(t, count=t.count + 1))

    run_at_once(*(partial(bump, store) for store in (one, other, one, other)))
    assert other.get("thing", "t_1").count == 400


def test_ids_are_unique_across_processes(two_processes):
    one, other = two_processes
    ids = [store.new_id("t") for _ in range(200) for store in (one, other)]
    assert len(set(ids)) == 400
    assert one.rng("churn").random() != other.rng("churn").random()  # each process its own stream


def test_new_ids_take_their_numbers_a_block_at_a_time(two_processes, round_trips):  # noqa: F811
    from simulator.store.redis import ID_BLOCK

    one, other = two_processes
    one.client.ping()  # the connection's own handshake is not counted below
    drawn = round_trips.during(lambda: [one.new_id("t") for _ in range(2 * ID_BLOCK)])
    assert len(drawn) == 2 and all(b"HINCRBY" in trip for trip in drawn)
    assert round_trips.during(lambda: one.new_id("u")) != []  # each prefix its own block
    restarted = type(one)(one.client, one.codec, one.generation, one.seed)  # a restart: what its block left goes unused
    ids = [store.new_id("t") for store in (one, other, restarted) for _ in range(ID_BLOCK + 1)]
    assert len(set(ids)) == len(ids)


def test_a_lost_lease_writes_nothing(two_processes):
    from simulator.store import StoreUnavailable

    one, _ = two_processes
    with pytest.raises(StoreUnavailable), one.atomic():
        one.put("thing", Thing("t_1"))
        one.client.delete(one.prefix + "lock")  # the lease ran out; another process may hold it now
    assert one.get("thing", "t_1") is None


# -- Redis: reads a request names ahead --------------------------------------------------------
CUSTOMER_AHEAD = ReadAhead(owner_of=("thing", "s_1"), records=("thing",), owned=("thing",))


def _alice(store) -> None:
    """A session `s_1` of alice, alice's own record, and two records she owns."""
    for thing in (Thing("s_1", owner_id="alice"), Thing("alice"), Thing("t_a", owner_id="alice")):
        store.put("thing", thing)


def test_a_read_ahead_answers_each_first_read_once_without_a_round_trip(shared_pair, round_trips):  # noqa: F811
    one, other = shared_pair
    _alice(one)
    other.read_ahead(CUSTOMER_AHEAD)
    one.update("thing", "t_a", lambda t: replace(t, count=5, version=2))  # after the request read it
    read = []
    trips = round_trips.during(lambda: read.extend([other.get("thing", "s_1"), other.get("thing", "alice"), *other.by_owner("thing", "alice")]))
    assert trips == [] and [(t.id, t.count) for t in read] == [("s_1", 0), ("alice", 0), ("s_1", 0), ("t_a", 0)]
    assert [(t.id, t.count) for t in other.by_owner("thing", "alice")] == [("s_1", 0), ("t_a", 5)]  # the second time: read now


def test_a_read_ahead_of_an_unknown_record_reads_nothing_more(shared_pair, round_trips):  # noqa: F811
    one, other = shared_pair
    _alice(one)
    other.read_ahead(ReadAhead(owner_of=("thing", "s_unknown"), records=("thing",), owned=("thing",)))
    assert round_trips.during(lambda: other.get("thing", "s_unknown")) == []
    assert other.get("thing", "s_unknown") is None


@pytest.mark.parametrize("owner_known", [True, False])
def test_a_read_ahead_reads_the_records_it_names_by_id_whoever_owns_them(shared_pair, round_trips, owner_known):  # noqa: F811
    one, other = shared_pair
    _alice(one)
    one.put("thing", Thing("t_b", owner_id="bob"))
    session = "s_1" if owner_known else "s_unknown"  # without a known session no owner's records are read; named ones still are
    other.read_ahead(ReadAhead(owner_of=("thing", session), records=("thing",), by_id=(("thing", "t_b"), ("thing", "t_none"))))
    read = []
    trips = round_trips.during(lambda: read.extend([other.get("thing", "t_b"), other.get("thing", "t_none")]))
    assert trips == [] and [(t.id, t.owner_id) for t in read[:1]] == [("t_b", "bob")] and read[1] is None


def test_what_was_read_ahead_goes_once_the_request_writes_its_kind(shared_pair):
    one, other = shared_pair
    _alice(one)
    other.read_ahead(CUSTOMER_AHEAD)
    other.put("thing", Thing("t_z"))
    one.delete("thing", "s_1")
    assert other.get("thing", "s_1") is None


@pytest.mark.parametrize("then", [
    lambda store: store.update("thing", "t_a", lambda t: replace(t, count=1)),  # compare and set, as a basket change
    lambda store: store.delete("thing", "t_a"),
    lambda store: store.forget_ahead(),  # the request is done
], ids=["the request updates its kind", "the request deletes one of its kind", "the request is done"])
def test_what_was_read_ahead_goes_once(shared_pair, then):
    one, other = shared_pair
    _alice(one)
    other.read_ahead(CUSTOMER_AHEAD)
    then(other)
    one.delete("thing", "s_1")
    assert other.get("thing", "s_1") is None


def test_a_section_reads_under_the_lock_not_what_was_read_ahead(shared_pair):
    one, other = shared_pair
    _alice(one)
    other.read_ahead(CUSTOMER_AHEAD)
    one.delete("thing", "s_1")
    with other.atomic():
        assert other.get("thing", "s_1") is None
    assert other.get("thing", "s_1") is None  # nor after it

"""`store.transaction(body)`: `body()` as under `atomic()`. On Redis it runs without the
lock, and its commit checks that what it read still holds (else it runs again); a read
the commit cannot check sends it under the lock. (In memory a section's writes are made
as it goes: the domain raises before it writes, so only Redis is asked to discard them.)"""

from dataclasses import replace
from functools import partial

import pytest

from simulator.store import ReadAhead
from simulator.store.redis import ACQUIRE
from tests.helpers.concurrency import run_at_once
from tests.helpers.redis_server import redis_server, redis_url, round_trips  # noqa: F401 (fixtures)
from tests.store.things import Thing


def bump(store, record_id: str = "t_1") -> int:
    """Read a record, then write it one higher: a lost update shows as a lower count."""
    current = store.get("thing", record_id)
    store.put("thing", replace(current, count=current.count + 1))
    return current.count + 1


# -- both stores -----------------------------------------------------------------------------
def test_a_transaction_commits_its_writes_and_answers_what_the_body_returns(make_store):
    store = make_store()
    store.put("thing", Thing("t_1"))
    assert store.transaction(partial(bump, store)) == 1
    assert store.get("thing", "t_1").count == 1


def test_concurrent_transactions_lose_no_update(make_store):
    store = make_store()
    store.put("thing", Thing("t_1"))

    def bumps() -> None:
        for _ in range(50):
            store.transaction(partial(bump, store))

    run_at_once(*[bumps] * 6)
    assert store.get("thing", "t_1").count == 300


# -- Redis: two processes, no lock -------------------------------------------------------------
def test_a_transaction_that_raises_writes_nothing_on_redis(shared_pair):
    store, _ = shared_pair
    store.put("thing", Thing("t_1"))

    def refused() -> None:
        bump(store)
        store.set_add("open", "m_1")
        raise LookupError("refused")

    with pytest.raises(LookupError):
        store.transaction(refused)
    assert store.get("thing", "t_1").count == 0 and store.set_members("open") == []


def test_a_transaction_inside_a_section_joins_it_on_redis(shared_pair):
    store, _ = shared_pair
    store.put("thing", Thing("t_1"))
    with pytest.raises(LookupError), store.atomic():
        store.transaction(partial(bump, store))
        raise LookupError("the section fails after the transaction")
    assert store.get("thing", "t_1").count == 0


@pytest.mark.parametrize("processes", ["shared_pair", "two_processes"])
def test_transactions_of_two_processes_lose_no_update(request, processes):
    """Also on a kind each process keeps a copy of (two_processes): the commit then checks the
    record's stamp."""
    one, other = request.getfixturevalue(processes)
    one.put("thing", Thing("t_1"))

    def bumps(store) -> None:
        for _ in range(50):
            store.transaction(partial(bump, store))

    run_at_once(*(partial(bumps, store) for store in (one, other, one, other)))
    assert other.get("thing", "t_1").count == 200


def test_a_write_between_the_read_and_the_commit_runs_the_body_again(shared_pair):
    one, other = shared_pair
    one.put("thing", Thing("t_1"))
    runs = []

    def body() -> int:
        count = bump(one)
        if not runs:  # another process writes what this run read, before it commits
            other.put("thing", Thing("t_1", count=10))
        runs.append(count)
        return count

    assert one.transaction(body) == 11
    assert runs == [1, 11] and other.get("thing", "t_1").count == 11


@pytest.mark.parametrize("read", ["missing record", "owned", "set size", "local kind"])
def test_every_kind_of_read_is_checked_at_the_commit(redis_url, read):  # noqa: F811
    """A write by another process to what the body read (a record found missing, an owner's
    records, a set's size, a local kind's copy) makes its run start again."""
    import uuid

    from simulator.store.redis import RedisStore
    from simulator.store.redis_connections import connect
    from tests.store.things import CODEC

    generation = uuid.uuid4().hex[:10]
    local = ("thing",) if read == "local kind" else ()
    one, other = (RedisStore(connect(redis_url), CODEC, generation, 0, local_kinds=local) for _ in range(2))
    one.put("thing", Thing("t_1", owner_id="alice"))
    reads = {
        "missing record": (lambda: one.get("thing", "t_2") is None, lambda: other.put("thing", Thing("t_2"))),
        "owned": (lambda: len(one.by_owner("thing", "alice")), lambda: other.put("thing", Thing("t_3", owner_id="alice"))),
        "set size": (lambda: one.set_size("open"), lambda: other.set_add("open", "m_1")),
        "local kind": (lambda: one.get("thing", "t_1").count, lambda: other.put("thing", Thing("t_1", count=5))),
    }
    look, change = reads[read]
    seen = []

    def body() -> None:
        seen.append(look())
        if len(seen) == 1:
            change()
        one.put("thing", Thing("t_9"))

    one.transaction(body)
    assert len(seen) == 2 and seen[0] != seen[1]


def test_a_failure_stands_only_if_what_it_read_still_holds(shared_pair):
    one, other = shared_pair
    one.put("thing", Thing("t_1"))
    runs = []

    def body() -> str:
        current = one.get("thing", "t_1")
        runs.append(current.count)
        if current.count == 0:
            other.put("thing", Thing("t_1", count=1))  # meanwhile the refusal stops being true
            raise LookupError("count is 0")
        return "went through"

    assert one.transaction(body) == "went through" and runs == [0, 1]
    with pytest.raises(LookupError):  # and one that still holds is raised
        one.transaction(lambda: (_ for _ in ()).throw(LookupError("plain")))


def test_a_read_the_commit_cannot_check_runs_the_body_under_the_lock(shared_pair, round_trips):  # noqa: F811
    import hashlib

    one, _ = shared_pair
    one.put("thing", Thing("t_1"))
    runs = []

    def body() -> list[str]:
        runs.append(1)
        bump(one)
        return one.set_members("open")  # a scan: its commit could not check it

    one.transaction(body)  # scripts loaded
    acquire = hashlib.sha1(ACQUIRE.encode()).hexdigest().encode()
    trips = round_trips.during(lambda: one.transaction(body))
    assert sum(acquire in trip for trip in trips) == 1
    assert len(runs) == 4 and one.get("thing", "t_1").count == 2  # each call's first run left nothing


def test_a_transaction_does_not_commit_while_a_section_holds_the_lock(two_processes):
    one, other = two_processes
    one.put("thing", Thing("t_1"))
    order = []

    def body() -> None:
        bump(other)
        if not order:
            order.append("read")
            with one.atomic():  # another process takes the lock and writes what this run read
                bump(one)
                order.append("section")

    other.transaction(body)
    assert one.get("thing", "t_1").count == 2 and order == ["read", "section"]


def test_a_first_run_starts_from_what_the_request_read_and_a_stale_one_runs_again(shared_pair, round_trips):  # noqa: F811
    one, other = shared_pair
    one.put("thing", Thing("t_1", owner_id="alice"))
    one.read_ahead(ReadAhead(owner="alice", owned=("thing",)))  # a request starts: its reads are kept
    assert one.get("thing", "t_1").count == 0
    trips = round_trips.during(lambda: one.transaction(partial(bump, one)))
    assert len(trips) == 1, trips  # the commit only: the record came from the request's read
    other.put("thing", Thing("t_1", owner_id="alice", count=10))  # meanwhile, another process
    assert one.get("thing", "t_1").count == 10
    other.put("thing", Thing("t_1", owner_id="alice", count=20))
    assert one.transaction(partial(bump, one)) == 21  # the read of 10 no longer held: read anew
    one.forget_ahead()  # the request is over: what it reads now is not kept
    assert one.get("thing", "t_1").count == 21
    trips = round_trips.during(lambda: one.transaction(partial(bump, one)))
    assert len(trips) == 2, trips  # the record read anew, then the commit


def test_a_cap_checked_runs_again_only_when_its_answer_changed(shared_pair):
    """`set_size_at_most` is checked as asked: racing adds that leave the answer as it was do
    not make the body run again (an age index grows with every new guest basket)."""
    one, other = shared_pair
    one.set_add("open", "m_1")

    def runs_with(racing_member: str) -> list[bool]:
        answers: list[bool] = []

        def body() -> None:
            answers.append(one.set_size_at_most("open", 2))
            if len(answers) == 1:
                other.set_add("open", racing_member)
            one.put("thing", Thing("t_9"))

        one.transaction(body)
        return answers

    assert runs_with("m_2") == [True]  # 2 members: still at most 2
    assert runs_with("m_3") == [True, False]  # 3: the answer changed


def test_a_cap_counts_the_sections_own_writes(make_store):
    store = make_store()
    store.set_add("open", "m_1")
    with store.atomic():
        store.set_add("open", "m_2")
        assert store.set_size_at_most("open", 2) and not store.set_size_at_most("open", 1)
        store.set_remove("open", "m_1")
        assert store.set_size_at_most("open", 1)


def test_a_record_of_a_local_kind_is_checked_on_its_own(two_processes):
    """A transaction that read one product runs again when that product changed, not when
    another did (every order changes some product's stock)."""
    one, other = two_processes
    for record_id in ("t_1", "t_2"):
        one.put("thing", Thing(record_id))
    one.auto_refresh = other.auto_refresh = False  # as under a Runtime
    one.observe({"thing": int(one.client.get(one.journal_count_keys()[0]))})
    assert other.get("thing", "t_2") is not None  # loaded in bulk
    racing = iter([("t_2", 1), ("t_1", 2), None])
    seen = []

    def body() -> None:
        seen.append(other.get("thing", "t_1").count)
        change = next(racing)
        if change is not None and len(seen) < 3:
            record_id, count = change
            one.update("thing", record_id, lambda t, count=count: replace(t, count=count))
        other.put("thing", Thing("t_9"))

    other.transaction(body)  # t_2's change leaves the run standing
    assert seen == [0]
    other.transaction(body)  # t_1's change (a later stamp than the copy's) runs it again, caught up
    assert seen == [0, 0, 2]


def test_a_count_cap_runs_again_only_when_its_answer_changed(shared_pair):
    """`count_at_most` as `set_size_at_most`: a kind's count is checked as the cap asked it."""
    one, other = shared_pair
    one.put("thing", Thing("t_1"))
    answers: list[bool] = []

    def body() -> None:
        one.put("thing", Thing(f"t_new{len(answers)}"))  # counted with the stored ones
        answers.append(one.count_at_most("thing", 4))
        if len(answers) == 1:
            other.put("thing", Thing("t_2"))  # 3 with this run's own: still at most 4
        elif len(answers) == 2:
            other.put("thing", Thing("t_3"))  # 5: the answer changed

    one.transaction(body)
    assert answers == [True]
    one.transaction(body)
    assert answers == [True, True, False] and one.count("thing") == 5


def test_a_run_that_saw_a_record_two_ways_runs_again(shared_pair):
    """A record the run read anew (here through its owner) and then took from what the
    request read before (older): the commit checks the first read, the body used the
    second, so the run cannot commit; it runs again, reading anew."""
    one, other = shared_pair
    one.put("thing", Thing("t_1", owner_id="alice"))
    one.start_request()
    assert one.get("thing", "t_1").count == 0  # the request reads it: kept
    other.put("thing", Thing("t_1", owner_id="alice", count=10))  # meanwhile, another process

    def body() -> int:
        one.by_owner("thing", "alice")  # read anew: count 10
        return bump(one)  # from the request's read unless the run is discarded

    assert one.transaction(body) == 11
    assert other.get("thing", "t_1").count == 11


def test_an_update_that_logs_a_change_numbers_it_at_its_commit(shared_pair):
    """An update's `also` writes join its compare and set, which holds no lock: a change it
    logs takes its number when it commits, after one another process logged meanwhile."""
    one, other = shared_pair
    one.put("thing", Thing("t_1"))

    def also(before, after) -> None:
        one.log_change("thing", "t_1", False, at=1.0)
        other.log_change("thing", "t_2", False, at=2.0)  # another process logs before it commits

    one.update("thing", "t_1", lambda t: replace(t, count=1), also=also)
    assert [(c.seq, c.record_id) for c in other.changes_since("thing", 0, 10)] == [(1, "t_2"), (2, "t_1")]
    assert other.last_seq("thing") == 2


def test_a_transaction_that_asks_the_number_of_a_change_it_logged_runs_under_the_lock(two_processes):
    """An optimistic run's change is numbered only at its commit: asked for it (`last_seq`, of
    a kind kept locally, which otherwise answers from the copy), the body runs under the lock."""
    one, other = two_processes
    other.log_change("thing", "t_0", False, at=0.5)
    runs = []

    def body() -> int:
        runs.append(1)
        one.log_change("thing", "t_1", False, at=1.0)
        return one.last_seq("thing")

    assert one.transaction(body) == 2 and len(runs) == 2
    assert [(c.seq, c.record_id) for c in other.changes_since("thing", 0, 10)] == [(1, "t_0"), (2, "t_1")]


def test_a_local_record_deleted_before_the_copy_loaded_is_checked_as_absent(two_processes):
    """A copy loaded after a record was deleted knows no stamp of it: the commit checks that
    it is still absent, and the run stands (it ran again, then under the lock)."""
    one, other = two_processes
    one.put("thing", Thing("t_1"))
    one.delete("thing", "t_1")
    runs = []

    def body() -> None:
        runs.append(other.get("thing", "t_1"))
        other.put("thing", Thing("t_9"))

    other.transaction(body)  # the copy loads now, after the deletion
    assert runs == [None]
    one.put("thing", Thing("t_1", count=3))  # and one that comes back is read anew
    runs.clear()

    def racing() -> None:
        runs.append(other.get("thing", "t_1"))
        if len(runs) == 1:
            one.put("thing", Thing("t_1", count=4))
        other.put("thing", Thing("t_9"))

    other.transaction(racing)
    assert [run.count for run in runs] == [3, 4]


def test_a_local_record_created_since_the_copy_caught_up_is_read_on_the_next_run(two_processes):
    one, other = two_processes
    one.put("thing", Thing("t_9"))
    other.auto_refresh = False  # as under a Runtime: the copy catches up when told to
    assert other.get("thing", "t_1") is None
    one.put("thing", Thing("t_1", count=3))  # another process creates it
    runs = []

    def body() -> None:
        runs.append(other.get("thing", "t_1"))
        other.put("thing", Thing("t_9"))

    other.transaction(body)
    assert runs == [None, Thing("t_1", count=3)]


def test_a_redis_that_fails_mid_transaction_fails_it_without_a_write_or_a_run_again(shared_pair, monkeypatch):
    """Redis gone between the body and its commit: the error that answers 503 reaches the
    caller (it is not taken for the body's failure, nor run again), and nothing is written."""
    import redis as redis_py

    one, _ = shared_pair
    one.put("thing", Thing("t_1"))
    runs = []

    def gone(*args, **kwargs):
        raise redis_py.ConnectionError("Redis went away")

    monkeypatch.setattr(one, "_try_commit", gone)
    with pytest.raises(redis_py.ConnectionError):
        one.transaction(lambda: runs.append(bump(one)))
    monkeypatch.undo()
    assert runs == [1] and one.get("thing", "t_1").count == 0

"""The reusable Idempotency-Key helper (simulator/idempotency.py), without HTTP."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from simulator import idempotency
from simulator.errors import DomainError


def _counter():
    calls = []

    def action():
        calls.append(1)
        return f"result-{len(calls)}"

    return calls, action


def test_without_a_key_the_action_just_runs(store, clock):
    calls, action = _counter()
    assert idempotency.run(store, clock, "s", None, "fp", action).result == "result-1"
    assert idempotency.run(store, clock, "s", None, "fp", action).result == "result-2"
    assert store.count(idempotency.IDEMPOTENCY) == 0


def test_the_same_key_and_body_answer_the_first_result_without_running_again(store, clock):
    calls, action = _counter()
    first = idempotency.run(store, clock, "s", "k", "fp", action)
    again = idempotency.run(store, clock, "s", "k", "fp", action)
    assert (first.result, first.replayed) == ("result-1", False)
    assert (again.result, again.replayed) == ("result-1", True)
    assert len(calls) == 1


def test_the_same_key_with_another_body_is_422(store, clock):
    _calls, action = _counter()
    idempotency.run(store, clock, "s", "k", "fp-1", action)
    with pytest.raises(DomainError) as caught:
        idempotency.run(store, clock, "s", "k", "fp-2", action)
    assert (caught.value.status, caught.value.code) == (422, "IDEMPOTENCY_KEY_REUSED")


def test_keys_are_scoped(store, clock):
    calls, action = _counter()
    idempotency.run(store, clock, "orders:cus_a", "k", "fp", action)
    assert idempotency.run(store, clock, "orders:cus_b", "k", "fp", action).replayed is False
    assert len(calls) == 2


def test_a_failed_action_releases_the_key(store, clock):
    def fails():
        raise DomainError(409, "NOPE", "no")

    with pytest.raises(DomainError):
        idempotency.run(store, clock, "s", "k", "fp", fails)
    assert idempotency.run(store, clock, "s", "k", "fp", lambda: "ok").result == "ok"


def test_keys_expire(store, clock):
    calls, action = _counter()
    idempotency.run(store, clock, "s", "k", "fp", action, ttl_seconds=60)
    clock.advance(timedelta(seconds=60))
    assert idempotency.run(store, clock, "s", "k", "fp-other", action).replayed is False
    assert len(calls) == 2


@pytest.mark.parametrize("key", ["", "x" * 256, "with space", "tab\there", "ünïcode"])
def test_malformed_keys_are_422(store, clock, key):
    with pytest.raises(DomainError) as caught:
        idempotency.run(store, clock, "s", key, "fp", lambda: None)
    assert caught.value.code == "VALIDATION_FAILED" and idempotency.HEADER in caught.value.errors


def test_fingerprints_ignore_key_order_and_see_every_value():
    assert idempotency.fingerprint({"a": 1, "b": [1, 2]}) == idempotency.fingerprint({"b": [1, 2], "a": 1})
    assert idempotency.fingerprint({"a": 1}) != idempotency.fingerprint({"a": 2})


def test_a_concurrent_duplicate_does_not_run_while_the_first_is_in_flight(store, clock):
    started, release = threading.Event(), threading.Event()
    calls = []

    def slow():
        calls.append(1)
        started.set()
        release.wait(5)
        return "first"

    worker = threading.Thread(target=lambda: idempotency.run(store, clock, "s", "k", "fp", slow))
    worker.start()
    assert started.wait(5)
    with pytest.raises(DomainError) as caught:
        idempotency.run(store, clock, "s", "k", "fp", slow)
    assert (caught.value.status, caught.value.code) == (409, "IDEMPOTENCY_KEY_IN_USE")
    assert caught.value.headers["Retry-After"] == "1"
    release.set()
    worker.join(5)
    assert idempotency.run(store, clock, "s", "k", "fp", slow).result == "first"
    assert len(calls) == 1


def test_many_threads_with_one_key_run_the_action_once(store, clock):
    calls, results, barrier = [], [], threading.Barrier(16)

    def action():
        calls.append(1)
        return "done"

    def attempt():
        barrier.wait(5)
        try:
            results.append(idempotency.run(store, clock, "s", "k", "fp", action).result)
        except DomainError as error:
            results.append(error.code)

    threads = [threading.Thread(target=attempt) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(calls) == 1
    assert len(results) == 16 and set(results) <= {"done", "IDEMPOTENCY_KEY_IN_USE"}


def test_finished_records_are_forgotten_after_their_time_and_running_ones_never():
    from datetime import timedelta

    from simulator import idempotency
    from simulator.clock import Clock
    from simulator.store import InMemoryStore

    store, clock = InMemoryStore(1), Clock()
    clock.freeze()
    for n in range(50):
        idempotency.run(store, clock, "scope", f"key-{n}", "fp", lambda: n)
    assert store.count(idempotency.IDEMPOTENCY) == 50

    def slow():
        # while this key's work runs, the clock moves past every record's time and the background sweeps
        clock.advance(timedelta(seconds=idempotency.DEFAULT_TTL_SECONDS + 120))
        idempotency.run(store, clock, "scope", "other", "fp", lambda: "other")
        assert idempotency.sweep_expired(store, clock.timestamp()) == 50
        return "slow"

    assert idempotency.run(store, clock, "scope", "running", "fp", slow).result == "slow"
    remaining = {record.id: record.state for record in store.values(idempotency.IDEMPOTENCY)}
    assert len(remaining) == 2 and set(remaining.values()) == {"done"}  # "running" finished and was kept; the 50 went
    assert idempotency.run(store, clock, "scope", "other", "fp", lambda: "again").result == "other"  # still replayed
    assert idempotency.sweep_expired(store, clock.timestamp()) == 1  # "running", finished now, was past its time


def test_an_expired_key_runs_afresh_whether_swept_or_not():
    from datetime import timedelta

    from simulator import idempotency
    from simulator.clock import Clock
    from simulator.store import InMemoryStore

    store, clock = InMemoryStore(1), Clock()
    clock.freeze()
    assert idempotency.run(store, clock, "scope", "key", "fp", lambda: "first").result == "first"
    clock.advance(timedelta(seconds=idempotency.DEFAULT_TTL_SECONDS + 1))
    again = idempotency.run(store, clock, "scope", "key", "other-fp", lambda: "second")  # no sweep ran
    assert (again.result, again.replayed) == ("second", False)

"""Races: one email, one customer; parallel guesses never beat the lockout."""

from __future__ import annotations

import threading

from simulator.customers import accounts, lockout, passwords, sessions
from simulator.customers.model import CUSTOMER, EMAIL_KEY
from simulator.errors import DomainError
from tests.helpers.accounts import registration

THREADS = 12


def _race(count: int, work) -> list:
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index: int) -> None:
        barrier.wait(10)
        results[index] = work(index)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not any(thread.is_alive() for thread in threads)
    return results


def test_concurrent_registrations_of_one_email_over_http_create_exactly_one_customer(app, sim):
    before = sim.store.count(CUSTOMER)

    def attempt(index: int):
        # One client per thread; the email differs only in letter case between threads.
        email = "race@example.org" if index % 2 else "RACE@Example.org"
        response = app.test_client().post("/api/v1/customers", json=registration(email, first_name=f"Racer{index}"))
        return response.status_code, (response.get_json() or {}).get("code")

    results = _race(THREADS, attempt)
    assert sorted(status for status, _ in results) == [201] + [409] * (THREADS - 1)
    assert {code for status, code in results if status == 409} == {"EMAIL_TAKEN"}
    assert sim.store.count(CUSTOMER) == before + 1
    winner = sim.store.get(EMAIL_KEY, "race@example.org").customer_id
    assert sim.store.get(CUSTOMER, winner) is not None


def test_concurrent_registrations_in_the_service_create_exactly_one_customer(store, clock, rules):
    def attempt(index: int):
        try:
            accounts.register(store, clock, rules, registration("race@example.org"))
            return "created"
        except DomainError as error:
            return error.code

    results = _race(THREADS, attempt)
    assert sorted(results) == ["EMAIL_TAKEN"] * (THREADS - 1) + ["created"]
    assert store.count(CUSTOMER) == 1


def test_concurrent_idempotent_retries_create_one_customer(app, sim):
    before = sim.store.count(CUSTOMER)
    body = registration("retry@example.org")

    def attempt(_index: int):
        response = app.test_client().post("/api/v1/customers", json=body, headers={"Idempotency-Key": "same-key"})
        return response.status_code, (response.get_json() or {}).get("code"), (response.get_json() or {}).get("customer", {}).get("id")

    results = _race(THREADS, attempt)
    assert sim.store.count(CUSTOMER) == before + 1
    assert {status for status, _, _ in results} <= {201, 409}
    assert {code for status, code, _ in results if status == 409} <= {"IDEMPOTENCY_KEY_IN_USE"}
    assert len({customer_id for status, _, customer_id in results if status == 201}) == 1


def test_parallel_password_guesses_never_exceed_the_lockout_threshold(store, clock, rules):
    accounts.register(store, clock, rules, registration("ada@example.org"))

    def guess(index: int):
        try:
            sessions.login(store, clock, rules, "ada@example.org", f"guess number {index}")
        except DomainError as error:
            return error.code

    results = _race(THREADS, guess)
    assert results.count("INVALID_CREDENTIALS") == lockout.LOCKOUT_THRESHOLD
    assert results.count("TOO_MANY_ATTEMPTS") == THREADS - lockout.LOCKOUT_THRESHOLD


def test_parallel_logins_with_the_right_password_all_succeed(app):
    """A load test logging in as one customer from many users must not lock it out."""

    def attempt(index: int):
        response = app.test_client().post(
            "/api/v1/auth/login", json={"email": "customer3@example.test", "password": "alegra-sim-2026"}
        )
        return response.status_code

    assert _race(THREADS, attempt) == [200] * THREADS


def _interleave(monkeypatch, during_check):
    """Run `during_check` while the next password check is being hashed (the slow part)."""
    real, fired = passwords.verify_password, []

    def verify(stored, password):
        ok = real(stored, password)
        if not fired:
            fired.append(True)
            during_check()
        return ok

    monkeypatch.setattr(passwords, "verify_password", verify)


def test_a_login_that_checked_the_old_password_does_not_outlive_a_change(store, clock, rules, monkeypatch):
    from tests.helpers.accounts import PASSWORD

    session, _ = accounts.register(store, clock, rules, registration("ada@example.org"))
    new_password = "an entirely new secret"
    _interleave(monkeypatch, lambda: accounts.change_password(store, clock, rules, session.customer.id, PASSWORD, new_password))
    try:
        sessions.login(store, clock, rules, "ada@example.org", PASSWORD)
        raise AssertionError("the login with the old password was let in")
    except DomainError as error:
        assert error.code == "INVALID_CREDENTIALS"
    assert sessions.login(store, clock, rules, "ada@example.org", new_password).customer.id == session.customer.id


def test_a_password_change_that_checked_a_password_replaced_meanwhile_is_refused(store, clock, rules, monkeypatch):
    from tests.helpers.accounts import PASSWORD

    session, _ = accounts.register(store, clock, rules, registration("bea@example.org"))
    customer_id = session.customer.id
    _interleave(monkeypatch, lambda: accounts.change_password(store, clock, rules, customer_id, PASSWORD, "the winner's secret"))
    try:
        accounts.change_password(store, clock, rules, customer_id, PASSWORD, "the loser's secret")
        raise AssertionError("a change checked against a replaced password went through")
    except DomainError as error:
        assert error.code == "INVALID_CURRENT_PASSWORD"
    assert sessions.login(store, clock, rules, "bea@example.org", "the winner's secret")

"""Brute-force lockout and equal work for unknown emails, as plain Python."""

from __future__ import annotations

from datetime import timedelta

import pytest

from simulator.customers import lockout, passwords, sessions
from simulator.customers.model import LOGIN_ADDRESS_ATTEMPTS, LOGIN_ATTEMPTS
from simulator.customers.rules import CustomerRules
from simulator.errors import DomainError
from tests.helpers.accounts import PASSWORD, code_of, signup


def _fail(store, clock, rules, email="ada@example.org"):
    with pytest.raises(DomainError) as caught:
        sessions.login(store, clock, rules, email, "wrong password")
    return caught.value


def test_five_failures_in_fifteen_minutes_lock_the_email_until_the_window_passes(store, clock, rules):
    signup(store, clock, rules, "ada@example.org")
    for _ in range(4):
        assert _fail(store, clock, rules).code == "INVALID_CREDENTIALS"
        clock.advance(timedelta(minutes=1))
    assert _fail(store, clock, rules).code == "INVALID_CREDENTIALS"  # the fifth failure, at minute 4
    locked = _fail(store, clock, rules)
    assert (locked.status, locked.code) == (429, "TOO_MANY_ATTEMPTS")
    assert locked.headers["Retry-After"] == str(15 * 60 - 4 * 60)
    with pytest.raises(DomainError) as caught:  # even the right password waits
        sessions.login(store, clock, rules, "ADA@example.org", PASSWORD)
    assert code_of(caught) == (429, "TOO_MANY_ATTEMPTS")
    clock.advance(timedelta(minutes=11) - timedelta(seconds=1))
    assert _fail(store, clock, rules).code == "TOO_MANY_ATTEMPTS"
    clock.advance(timedelta(seconds=1))  # the first failure left the window
    assert sessions.login(store, clock, rules, "ada@example.org", PASSWORD).customer.email == "ada@example.org"


def test_failures_spread_wider_than_the_window_never_lock(store, clock, rules):
    signup(store, clock, rules, "ada@example.org")
    for _ in range(12):
        assert _fail(store, clock, rules).code == "INVALID_CREDENTIALS"
        clock.advance(timedelta(minutes=4))


def test_a_success_clears_the_failures(store, clock, rules):
    signup(store, clock, rules, "ada@example.org")
    for _ in range(4):
        _fail(store, clock, rules)
    sessions.login(store, clock, rules, "ada@example.org", PASSWORD)
    for _ in range(4):
        assert _fail(store, clock, rules).code == "INVALID_CREDENTIALS"


def test_unknown_emails_lock_the_same_way(store, clock, rules):
    for _ in range(5):
        assert _fail(store, clock, rules, "ghost@example.org").code == "INVALID_CREDENTIALS"
    assert _fail(store, clock, rules, "ghost@example.org").code == "TOO_MANY_ATTEMPTS"


def test_unknown_emails_cost_the_same_argon2_work(store, clock, rules, monkeypatch):
    signup(store, clock, rules, "ada@example.org")
    checked = []
    real = passwords.verify_password
    monkeypatch.setattr(passwords, "verify_password", lambda h, p: checked.append(h) or real(h, p))
    _fail(store, clock, rules, "ada@example.org")
    _fail(store, clock, rules, "ghost@example.org")
    assert len(checked) == 2
    assert checked[1] == passwords.dummy_hash("fast") and checked[1].startswith("$argon2id$v=19$m=64,t=1,p=1$")


# -- per client address -------------------------------------------------------------------
def test_failures_from_one_address_lock_it_whatever_the_email(store, clock, monkeypatch):
    rules = CustomerRules(hash_profile="fast", login_failures_per_address=3)
    signup(store, clock, rules, "ada@example.org")
    for number in range(3):  # made-up emails, each new: the per-email count never locks
        with pytest.raises(DomainError) as caught:
            sessions.login(store, clock, rules, f"ghost{number}@example.org", "guess", "203.0.113.9")
        assert code_of(caught) == (401, "INVALID_CREDENTIALS")
        clock.advance(timedelta(minutes=1))
    hashed = []
    monkeypatch.setattr(passwords, "verify_password", lambda h, p: hashed.append(h))
    with pytest.raises(DomainError) as caught:  # even the right password of a real account, from there
        sessions.login(store, clock, rules, "ada@example.org", PASSWORD, "203.0.113.9")
    assert code_of(caught) == (429, "TOO_MANY_ATTEMPTS") and "address" in caught.value.detail
    assert caught.value.headers["Retry-After"] == str(15 * 60 - 3 * 60) and hashed == []  # refused before any hashing
    monkeypatch.undo()
    assert sessions.login(store, clock, rules, "ada@example.org", PASSWORD, "198.51.100.7")  # another address is not locked
    sessions.login(store, clock, rules, "ada@example.org", PASSWORD)  # a service call without an address neither
    clock.advance(timedelta(minutes=12))
    assert sessions.login(store, clock, rules, "ada@example.org", PASSWORD, "203.0.113.9")  # the window passed


def test_a_success_does_not_clear_the_address_count(store, clock):
    rules = CustomerRules(hash_profile="fast", login_failures_per_address=3)
    signup(store, clock, rules, "ada@example.org")
    for attempt in range(3):
        if attempt:
            sessions.login(store, clock, rules, "ada@example.org", PASSWORD, "203.0.113.9")  # clears the email's count
        with pytest.raises(DomainError) as caught:
            sessions.login(store, clock, rules, "ada@example.org", "guess", "203.0.113.9")
        assert code_of(caught) == (401, "INVALID_CREDENTIALS")
    assert len(store.get(LOGIN_ATTEMPTS, "ada@example.org").failures) == 1
    assert len(store.get(LOGIN_ADDRESS_ATTEMPTS, "203.0.113.9").failures) == 3
    with pytest.raises(DomainError) as caught:
        sessions.login(store, clock, rules, "ada@example.org", PASSWORD, "203.0.113.9")
    assert code_of(caught) == (429, "TOO_MANY_ATTEMPTS") and "address" in caught.value.detail


def test_ipv6_clients_count_by_their_64_and_mapped_ipv4_as_ipv4():
    assert lockout.address_key("2001:db8:1:2:aaaa::1") == lockout.address_key("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    assert lockout.address_key("2001:db8:1:3::1") != lockout.address_key("2001:db8:1:2::1")
    assert lockout.address_key("::ffff:203.0.113.9") == lockout.address_key(" 203.0.113.9") == "203.0.113.9"
    assert lockout.address_key(None) is None and lockout.address_key("") is None
    assert lockout.address_key("not an address") == "not an address"


def test_the_login_route_counts_the_callers_address(make_app):
    client = make_app(login_failures_per_address=3).test_client()

    def login_from(address):
        return client.post("/api/v1/auth/login", json={"email": "ghost@example.org", "password": "guess"},
                           environ_base={"REMOTE_ADDR": address})

    assert [login_from("203.0.113.9").status_code for _ in range(3)] == [401] * 3
    locked = login_from("203.0.113.9")
    assert locked.status_code == 429 and locked.get_json()["code"] == "TOO_MANY_ATTEMPTS" and int(locked.headers["Retry-After"]) > 0
    assert login_from("198.51.100.7").status_code == 401


# -- bounded records ------------------------------------------------------------------------
def test_failure_records_go_once_their_window_passed(store, clock, rules):
    for number in range(3):
        _fail(store, clock, rules, f"ghost{number}@example.org")
    kept = store.count(LOGIN_ATTEMPTS)
    clock.advance(timedelta(minutes=15))
    assert kept == 3 and lockout.sweep_expired(store, clock) == 0  # the last failure is just still in its window
    clock.advance(timedelta(seconds=1))
    assert lockout.sweep_expired(store, clock) == 3
    assert store.count(LOGIN_ATTEMPTS) == 0 and lockout.EMAIL_AGES.size(store) == 0


def test_past_the_cap_the_longest_idle_failure_records_go(store, clock):
    rules = CustomerRules(hash_profile="fast", max_login_failure_records=3)
    for number in range(5):
        _fail(store, clock, rules, f"ghost{number}@example.org")
        clock.advance(timedelta(seconds=1))
    _fail(store, clock, rules, "ghost2@example.org")  # touched again: now the youngest
    _fail(store, clock, rules, "ghost5@example.org")
    assert sorted(record.id for record in store.values(LOGIN_ATTEMPTS)) == [
        "ghost2@example.org", "ghost4@example.org", "ghost5@example.org"]

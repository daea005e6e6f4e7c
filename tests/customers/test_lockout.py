"""Brute-force lockout and equal work for unknown emails, as plain Python."""

from __future__ import annotations

from datetime import timedelta

import pytest

from simulator.customers import passwords, sessions
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

"""Sessions as plain Python: login, bearer tokens, expiry, logout."""

from __future__ import annotations

from datetime import timedelta

import pytest

from simulator.customers import sessions
from simulator.customers.model import AUTH_TOKEN
from simulator.errors import DomainError
from simulator.tokens import token_digest
from tests.helpers.accounts import PASSWORD, code_of, signup


def test_login_is_case_insensitive_on_the_email_and_opens_a_new_session(store, clock, rules):
    first = signup(store, clock, rules, "ada@example.org")
    second = sessions.login(store, clock, rules, "ADA@example.org", PASSWORD)
    assert second.customer.id == first.customer.id and second.token != first.token
    assert sessions.authenticate(store, clock, first.token).id == first.customer.id
    assert sessions.authenticate(store, clock, second.token).id == first.customer.id


@pytest.mark.parametrize("email, password", [("ada@example.org", "wrong password"), ("nobody@example.org", PASSWORD)])
def test_a_wrong_password_and_an_unknown_email_answer_the_same(store, clock, rules, email, password):
    signup(store, clock, rules, "ada@example.org")
    with pytest.raises(DomainError) as caught:
        sessions.login(store, clock, rules, email, password)
    assert code_of(caught) == (401, "INVALID_CREDENTIALS")
    assert caught.value.detail == "The email or the password is not correct."


def test_tokens_are_long_random_and_stored_only_as_their_digest(store, clock, rules):
    session = signup(store, clock, rules)
    assert len(session.token) >= 43  # 32 random bytes, base64url
    [record] = store.by_owner(AUTH_TOKEN, session.customer.id)
    assert record.id == token_digest(session.token) != session.token
    assert session.token not in repr(store.values(AUTH_TOKEN))


def test_tokens_expire_on_the_simulator_clock(store, clock, rules):
    session = signup(store, clock, rules)
    clock.advance(timedelta(seconds=rules.token_ttl_seconds - 1))
    assert sessions.authenticate(store, clock, session.token)
    clock.advance(timedelta(seconds=1))
    with pytest.raises(DomainError) as caught:
        sessions.authenticate(store, clock, session.token)
    assert code_of(caught) == (401, "TOKEN_EXPIRED")
    assert 'error="invalid_token"' in caught.value.headers["WWW-Authenticate"]
    with pytest.raises(DomainError) as caught:  # an expired token is gone for good
        sessions.authenticate(store, clock, session.token)
    assert code_of(caught) == (401, "UNAUTHORIZED")


@pytest.mark.parametrize("token", [None, "", "nonsense", "x" * 5000])
def test_missing_and_unknown_tokens_are_401_with_a_challenge(store, clock, token):
    with pytest.raises(DomainError) as caught:
        sessions.authenticate(store, clock, token)
    assert code_of(caught) == (401, "UNAUTHORIZED")
    assert caught.value.headers["WWW-Authenticate"].startswith('Bearer realm="alegra-sim"')


def test_logout_revokes_only_that_token(store, clock, rules):
    first = signup(store, clock, rules, "ada@example.org")
    second = sessions.login(store, clock, rules, "ada@example.org", PASSWORD)
    sessions.logout(store, clock, first.token)
    with pytest.raises(DomainError):
        sessions.authenticate(store, clock, first.token)
    assert sessions.authenticate(store, clock, second.token)
    with pytest.raises(DomainError) as caught:
        sessions.logout(store, clock, first.token)
    assert code_of(caught) == (401, "UNAUTHORIZED")


def test_sessions_per_customer_are_bounded_and_expired_ones_are_swept(store, clock, rules, monkeypatch):
    monkeypatch.setattr(sessions, "MAX_SESSIONS", 3)
    first = signup(store, clock, rules, "ada@example.org")
    tokens = [first.token]
    for _ in range(3):
        clock.advance(timedelta(seconds=1))
        tokens.append(sessions.login(store, clock, rules, "ada@example.org", PASSWORD).token)
    assert len(store.by_owner(AUTH_TOKEN, first.customer.id)) == 3
    with pytest.raises(DomainError):
        sessions.authenticate(store, clock, tokens[0])  # the oldest made room
    clock.advance(timedelta(seconds=rules.token_ttl_seconds))
    sessions.login(store, clock, rules, "ada@example.org", PASSWORD)
    assert len(store.by_owner(AUTH_TOKEN, first.customer.id)) == 1

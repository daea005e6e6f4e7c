"""Accounts as plain Python: registration, profile, password change and reset."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from simulator.customers import accounts, sessions
from simulator.customers.model import CUSTOMER, EMAIL_KEY, RESET_TOKEN
from simulator.errors import DomainError
from simulator.mail import outbox
from simulator.tokens import token_digest
from tests.helpers.accounts import PASSWORD, code_of, mails_to, registration, signup


# -- registration ---------------------------------------------------------------------
def test_register_creates_a_customer_a_session_and_a_welcome_mail(store, clock, rules):
    session = signup(store, clock, rules, "Ada@Example.org", phone="+44 20 7946 0958", marketing_consent=True)
    customer = session.customer
    assert customer.id.startswith("cus_")
    assert store.get(CUSTOMER, customer.id) == customer
    assert (customer.email, customer.phone, customer.marketing_consent) == ("Ada@Example.org", "+44 20 7946 0958", True)
    assert customer.password_hash.startswith("$argon2id$") and PASSWORD not in customer.password_hash
    assert sessions.authenticate(store, clock, session.token) == customer
    assert session.expires_at == clock.now() + timedelta(seconds=rules.token_ttl_seconds)
    [welcome] = mails_to(store, "ada@example.org")
    assert welcome.template == "welcome" and welcome.recipient == "Ada@Example.org"


def test_emails_are_unique_whatever_their_case(store, clock, rules):
    signup(store, clock, rules, "ada@example.org")
    with pytest.raises(DomainError) as caught:
        signup(store, clock, rules, "ADA@example.ORG")
    assert code_of(caught) == (409, "EMAIL_TAKEN")
    assert store.count(CUSTOMER) == 1


def test_a_weak_password_is_refused_and_nothing_is_stored(store, clock, rules):
    with pytest.raises(DomainError) as caught:
        accounts.register(store, clock, rules, registration("weak@example.org", password="weak@example.org"))
    assert code_of(caught) == (422, "WEAK_PASSWORD")
    assert store.count(CUSTOMER) == 0 and store.count(outbox.MAIL) == 0


# -- password change -------------------------------------------------------------------------
def test_changing_the_password_needs_the_current_one_and_signs_out_other_sessions(store, clock, rules):
    mine = signup(store, clock, rules, "ada@example.org")
    other = sessions.login(store, clock, rules, "ada@example.org", PASSWORD)
    with pytest.raises(DomainError) as caught:
        accounts.change_password(store, clock, rules, mine.customer.id, "wrong password", "new and long password")
    assert code_of(caught) == (422, "INVALID_CURRENT_PASSWORD")
    assert sessions.authenticate(store, clock, other.token)
    accounts.change_password(
        store, clock, rules, mine.customer.id, PASSWORD, "new and long password", keep_token=token_digest(mine.token)
    )
    assert sessions.authenticate(store, clock, mine.token)
    with pytest.raises(DomainError):
        sessions.authenticate(store, clock, other.token)
    with pytest.raises(DomainError):
        sessions.login(store, clock, rules, "ada@example.org", PASSWORD)
    assert sessions.login(store, clock, rules, "ada@example.org", "new and long password")
    assert mails_to(store, "ada@example.org", "password_changed")


def test_the_new_password_follows_the_policy_and_must_differ(store, clock, rules):
    mine = signup(store, clock, rules, "ada@example.org")
    before = store.get(CUSTOMER, mine.customer.id)
    for new in ("short", PASSWORD, "ada@example.org"):
        with pytest.raises(DomainError) as caught:
            accounts.change_password(store, clock, rules, mine.customer.id, PASSWORD, new)
        assert code_of(caught) == (422, "WEAK_PASSWORD") and "new_password" in caught.value.errors
    assert store.get(CUSTOMER, mine.customer.id) == before


def test_guessing_the_current_password_counts_towards_the_lockout(store, clock, rules):
    mine = signup(store, clock, rules, "ada@example.org")
    for _ in range(5):
        with pytest.raises(DomainError):
            accounts.change_password(store, clock, rules, mine.customer.id, "guess number x", "new and long password")
    with pytest.raises(DomainError) as caught:
        accounts.change_password(store, clock, rules, mine.customer.id, PASSWORD, "new and long password")
    assert code_of(caught) == (429, "TOO_MANY_ATTEMPTS")


# -- forgotten password -------------------------------------------------------------------------
def _reset_token(store, email):
    [mail] = mails_to(store, email, "password_reset")[:1]
    return mail.tokens["reset_token"]


def test_forgot_mails_a_one_time_token_to_known_emails_only(store, clock, rules):
    signup(store, clock, rules, "ada@example.org")
    before = store.count(outbox.MAIL)
    assert accounts.forgot_password(store, clock, rules, "ghost@example.org") is None
    assert store.count(outbox.MAIL) == before and store.count(RESET_TOKEN) == 0
    assert accounts.forgot_password(store, clock, rules, "ADA@example.org") is None
    token = _reset_token(store, "ada@example.org")
    [mail] = mails_to(store, "ada@example.org", "password_reset")
    assert mail.links == (f"http://shop.test/account/reset-password?token={token}",)
    assert token in mail.text
    [record] = store.values(RESET_TOKEN)
    assert record.id == token_digest(token)


def test_reset_sets_the_password_once_and_signs_out_everywhere(store, clock, rules):
    session = signup(store, clock, rules, "ada@example.org")
    for _ in range(5):
        with pytest.raises(DomainError):
            sessions.login(store, clock, rules, "ada@example.org", "wrong password")
    accounts.forgot_password(store, clock, rules, "ada@example.org")
    token = _reset_token(store, "ada@example.org")
    accounts.reset_password(store, clock, rules, token, "brand new secret")
    with pytest.raises(DomainError):
        sessions.authenticate(store, clock, session.token)
    assert sessions.login(store, clock, rules, "ada@example.org", "brand new secret")  # the lockout was lifted too
    with pytest.raises(DomainError) as caught:
        accounts.reset_password(store, clock, rules, token, "another new secret")
    assert code_of(caught) == (422, "RESET_TOKEN_INVALID")


def test_reset_tokens_expire(store, clock, rules):
    signup(store, clock, rules, "ada@example.org")
    accounts.forgot_password(store, clock, rules, "ada@example.org")
    token = _reset_token(store, "ada@example.org")
    clock.advance(timedelta(seconds=rules.reset_token_ttl_seconds))
    with pytest.raises(DomainError) as caught:
        accounts.reset_password(store, clock, rules, token, "brand new secret")
    assert code_of(caught) == (422, "RESET_TOKEN_INVALID")
    assert sessions.login(store, clock, rules, "ada@example.org", PASSWORD)


def test_only_the_newest_reset_link_works(store, clock, rules):
    signup(store, clock, rules, "ada@example.org")
    accounts.forgot_password(store, clock, rules, "ada@example.org")
    older = _reset_token(store, "ada@example.org")
    accounts.forgot_password(store, clock, rules, "ada@example.org")
    newer = _reset_token(store, "ada@example.org")
    with pytest.raises(DomainError):
        accounts.reset_password(store, clock, rules, older, "brand new secret")
    accounts.reset_password(store, clock, rules, newer, "brand new secret")


def test_a_weak_new_password_leaves_the_reset_token_usable(store, clock, rules):
    signup(store, clock, rules, "ada@example.org")
    accounts.forgot_password(store, clock, rules, "ada@example.org")
    token = _reset_token(store, "ada@example.org")
    with pytest.raises(DomainError) as caught:
        accounts.reset_password(store, clock, rules, token, "password")
    assert code_of(caught) == (422, "WEAK_PASSWORD")
    accounts.reset_password(store, clock, rules, token, "brand new secret")


# -- profile -------------------------------------------------------------------------------------
def test_profile_updates_bump_the_version_and_check_it(store, clock, rules):
    customer = signup(store, clock, rules, "ada@example.org").customer
    clock.advance(timedelta(minutes=1))
    updated = accounts.update_profile(store, clock, rules, customer.id, {"first_name": "Augusta", "phone": "030 1234567"}, 1)
    assert (updated.first_name, updated.phone, updated.version) == ("Augusta", "030 1234567", 2)
    assert updated.updated_at > customer.updated_at
    with pytest.raises(DomainError) as caught:
        accounts.update_profile(store, clock, rules, customer.id, {"last_name": "Byron"}, 1)
    assert code_of(caught) == (412, "VERSION_MISMATCH")
    assert accounts.update_profile(store, clock, rules, customer.id, {"phone": None}).phone is None
    same = accounts.update_profile(store, clock, rules, customer.id, {"first_name": "Augusta"})
    assert same.version == 3  # a change to the same value is no change


def test_changing_the_email_needs_the_password_and_a_free_address(store, clock, rules):
    ada = signup(store, clock, rules, "ada@example.org").customer
    signup(store, clock, rules, "bob@example.org")
    unchanged = accounts.update_profile(store, clock, rules, ada.id, {"email": "ada@example.org", "first_name": "Ada"})
    assert unchanged.email == "ada@example.org"  # the same email needs no password
    with pytest.raises(DomainError) as caught:
        accounts.update_profile(store, clock, rules, ada.id, {"email": "ada@new.example"})
    assert code_of(caught) == (422, "VALIDATION_FAILED") and "current_password" in caught.value.errors
    with pytest.raises(DomainError) as caught:
        accounts.update_profile(store, clock, rules, ada.id, {"email": "ada@new.example", "current_password": "nope nope"})
    assert code_of(caught) == (422, "INVALID_CURRENT_PASSWORD")
    with pytest.raises(DomainError) as caught:
        accounts.update_profile(store, clock, rules, ada.id, {"email": "BOB@example.org", "current_password": PASSWORD})
    assert code_of(caught) == (409, "EMAIL_TAKEN")
    moved = accounts.update_profile(store, clock, rules, ada.id, {"email": "ada@new.example", "current_password": PASSWORD})
    assert moved.email == "ada@new.example"
    assert store.get(EMAIL_KEY, "ada@example.org") is None and store.get(EMAIL_KEY, "ada@new.example").customer_id == ada.id
    assert sessions.login(store, clock, rules, "ada@new.example", PASSWORD)
    assert mails_to(store, "ada@example.org", "email_changed")
    signup(store, clock, rules, "ada@example.org")  # the old email is free again


def test_only_editable_fields_change(store, clock, rules):
    customer = signup(store, clock, rules).customer
    updated = accounts.update_profile(
        store, clock, rules, customer.id, {"last_name": "Byron", "password_hash": "x", "id": "cus_x", "version": 9}
    )
    assert updated == dataclasses.replace(customer, last_name="Byron", version=2, updated_at=updated.updated_at)


# -- registration idempotency -----------------------------------------------------------------------
def test_a_replayed_registration_answers_the_same_customer_with_a_fresh_token(store, clock, rules):
    body = registration("ada@example.org")
    first, replayed = accounts.register(store, clock, rules, body, idempotency_key="key-1")
    again, replayed_again = accounts.register(store, clock, rules, dict(body), idempotency_key="key-1")
    assert (replayed, replayed_again) == (False, True)
    assert again.customer.id == first.customer.id and again.token != first.token
    assert store.count(CUSTOMER) == 1 and len(mails_to(store, "ada@example.org", "welcome")) == 1
    assert sessions.authenticate(store, clock, again.token).id == first.customer.id


@pytest.mark.parametrize("change", [{"first_name": "Augusta"}, {"password": "another long secret"}, {"email": "eve@example.org"}])
def test_the_same_key_with_another_body_is_422(store, clock, rules, change):
    accounts.register(store, clock, rules, registration("ada@example.org"), idempotency_key="key-1")
    with pytest.raises(DomainError) as caught:
        accounts.register(store, clock, rules, {**registration("ada@example.org"), **change}, idempotency_key="key-1")
    assert code_of(caught) == (422, "IDEMPOTENCY_KEY_REUSED")
    assert store.count(CUSTOMER) == 1


def test_the_idempotency_record_holds_neither_the_token_nor_the_password(store, clock, rules):
    session, _ = accounts.register(store, clock, rules, registration("ada@example.org"), idempotency_key="key-1")
    [record] = store.values("idempotency_key")
    assert record.result == session.customer.id
    dumped = repr(dataclasses.asdict(record))
    assert session.token not in dumped and PASSWORD not in dumped

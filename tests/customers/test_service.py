"""The customer rules, called as plain Python (no HTTP)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from simulator.customers import service
from simulator.customers.model import (
    ADDRESS,
    AUTH_TOKEN,
    CUSTOMER,
    EMAIL_KEY,
    RESET_TOKEN,
    token_digest,
)
from simulator.errors import DomainError
from simulator.mail import outbox

from .conftest import PASSWORD, address, registration


def _register(store, clock, rules, email=None, **overrides):
    session, replayed = service.register(store, clock, rules, registration(email, **overrides))
    assert not replayed
    return session


def _code(caught) -> tuple[int, str]:
    return caught.value.status, caught.value.code


def _mails(store, recipient, template=None):
    mails, _total = outbox.list_mails(store, recipient, 1, 100)
    return [m for m in mails if template is None or m.template == template]


# -- registration ---------------------------------------------------------------------
def test_register_creates_a_customer_a_session_and_a_welcome_mail(store, clock, rules):
    session = _register(store, clock, rules, "Ada@Example.org", phone="+44 20 7946 0958", marketing_consent=True)
    customer = session.customer
    assert customer.id.startswith("cus_")
    assert store.get(CUSTOMER, customer.id) == customer
    assert (customer.email, customer.phone, customer.marketing_consent) == ("Ada@Example.org", "+44 20 7946 0958", True)
    assert customer.password_hash.startswith("$argon2id$") and PASSWORD not in customer.password_hash
    assert service.authenticate(store, clock, session.token) == customer
    assert session.expires_at == clock.now() + timedelta(seconds=rules.token_ttl_seconds)
    [welcome] = _mails(store, "ada@example.org")
    assert welcome.template == "welcome" and welcome.recipient == "Ada@Example.org"


def test_emails_are_unique_whatever_their_case(store, clock, rules):
    _register(store, clock, rules, "ada@example.org")
    with pytest.raises(DomainError) as caught:
        _register(store, clock, rules, "  ADA@example.ORG ")
    assert _code(caught) == (409, "EMAIL_TAKEN")
    assert store.count(CUSTOMER) == 1


def test_register_checks_fields_and_the_password_policy(store, clock, rules):
    for body, field in [
        (registration(email="not-an-email"), "email"),
        (registration(first_name="   "), "first_name"),
        (registration(last_name="x" * 101), "last_name"),
        (registration(phone="call me"), "phone"),
        (registration(first_name="Ada\x00"), "first_name"),
        ({**registration(), "admin": True}, "admin"),
    ]:
        with pytest.raises(DomainError) as caught:
            service.register(store, clock, rules, body)
        assert _code(caught) == (422, "VALIDATION_FAILED") and field in caught.value.errors
    with pytest.raises(DomainError) as caught:
        service.register(store, clock, rules, registration("weak@example.org", password="weak@example.org"))
    assert _code(caught) == (422, "WEAK_PASSWORD")
    assert store.count(CUSTOMER) == 0 and store.count(outbox.MAIL) == 0


# -- login, tokens, logout -------------------------------------------------------------------
def test_login_is_case_insensitive_on_the_email_and_opens_a_new_session(store, clock, rules):
    first = _register(store, clock, rules, "ada@example.org")
    second = service.login(store, clock, rules, "ADA@example.org", PASSWORD)
    assert second.customer.id == first.customer.id and second.token != first.token
    assert service.authenticate(store, clock, first.token).id == first.customer.id
    assert service.authenticate(store, clock, second.token).id == first.customer.id


@pytest.mark.parametrize("email, password", [("ada@example.org", "wrong password"), ("nobody@example.org", PASSWORD)])
def test_a_wrong_password_and_an_unknown_email_answer_the_same(store, clock, rules, email, password):
    _register(store, clock, rules, "ada@example.org")
    with pytest.raises(DomainError) as caught:
        service.login(store, clock, rules, email, password)
    assert _code(caught) == (401, "INVALID_CREDENTIALS")
    assert caught.value.detail == "The email or the password is not correct."


def test_tokens_are_long_random_and_stored_only_as_their_digest(store, clock, rules):
    session = _register(store, clock, rules)
    assert len(session.token) >= 43  # 32 random bytes, base64url
    [record] = store.by_owner(AUTH_TOKEN, session.customer.id)
    assert record.id == token_digest(session.token) != session.token
    assert session.token not in repr(store.values(AUTH_TOKEN))


def test_tokens_expire_on_the_simulator_clock(store, clock, rules):
    session = _register(store, clock, rules)
    clock.advance(timedelta(seconds=rules.token_ttl_seconds - 1))
    assert service.authenticate(store, clock, session.token)
    clock.advance(timedelta(seconds=1))
    with pytest.raises(DomainError) as caught:
        service.authenticate(store, clock, session.token)
    assert _code(caught) == (401, "TOKEN_EXPIRED")
    assert 'error="invalid_token"' in caught.value.headers["WWW-Authenticate"]
    with pytest.raises(DomainError) as caught:  # an expired token is gone for good
        service.authenticate(store, clock, session.token)
    assert _code(caught) == (401, "UNAUTHORIZED")


@pytest.mark.parametrize("token", [None, "", "nonsense", "x" * 5000])
def test_missing_and_unknown_tokens_are_401_with_a_challenge(store, clock, token):
    with pytest.raises(DomainError) as caught:
        service.authenticate(store, clock, token)
    assert _code(caught) == (401, "UNAUTHORIZED")
    assert caught.value.headers["WWW-Authenticate"].startswith('Bearer realm="alegra-sim"')


def test_logout_revokes_only_that_token(store, clock, rules):
    first = _register(store, clock, rules, "ada@example.org")
    second = service.login(store, clock, rules, "ada@example.org", PASSWORD)
    service.logout(store, clock, first.token)
    with pytest.raises(DomainError):
        service.authenticate(store, clock, first.token)
    assert service.authenticate(store, clock, second.token)
    with pytest.raises(DomainError) as caught:
        service.logout(store, clock, first.token)
    assert _code(caught) == (401, "UNAUTHORIZED")


def test_sessions_per_customer_are_bounded_and_expired_ones_are_swept(store, clock, rules, monkeypatch):
    monkeypatch.setattr(service, "MAX_SESSIONS", 3)
    first = _register(store, clock, rules, "ada@example.org")
    tokens = [first.token]
    for _ in range(3):
        clock.advance(timedelta(seconds=1))
        tokens.append(service.login(store, clock, rules, "ada@example.org", PASSWORD).token)
    assert len(store.by_owner(AUTH_TOKEN, first.customer.id)) == 3
    with pytest.raises(DomainError):
        service.authenticate(store, clock, tokens[0])  # the oldest made room
    clock.advance(timedelta(seconds=rules.token_ttl_seconds))
    service.login(store, clock, rules, "ada@example.org", PASSWORD)
    assert len(store.by_owner(AUTH_TOKEN, first.customer.id)) == 1


# -- brute force ---------------------------------------------------------------------------
def _fail(store, clock, rules, email="ada@example.org"):
    with pytest.raises(DomainError) as caught:
        service.login(store, clock, rules, email, "wrong password")
    return caught.value


def test_five_failures_in_fifteen_minutes_lock_the_email_until_the_window_passes(store, clock, rules):
    _register(store, clock, rules, "ada@example.org")
    for _ in range(4):
        assert _fail(store, clock, rules).code == "INVALID_CREDENTIALS"
        clock.advance(timedelta(minutes=1))
    assert _fail(store, clock, rules).code == "INVALID_CREDENTIALS"  # the fifth failure, at minute 4
    locked = _fail(store, clock, rules)
    assert (locked.status, locked.code) == (429, "TOO_MANY_ATTEMPTS")
    assert locked.headers["Retry-After"] == str(15 * 60 - 4 * 60)
    with pytest.raises(DomainError) as caught:  # even the right password waits
        service.login(store, clock, rules, "ADA@example.org", PASSWORD)
    assert _code(caught) == (429, "TOO_MANY_ATTEMPTS")
    clock.advance(timedelta(minutes=11) - timedelta(seconds=1))
    assert _fail(store, clock, rules).code == "TOO_MANY_ATTEMPTS"
    clock.advance(timedelta(seconds=1))  # the first failure left the window
    assert service.login(store, clock, rules, "ada@example.org", PASSWORD).customer.email == "ada@example.org"


def test_failures_spread_wider_than_the_window_never_lock(store, clock, rules):
    _register(store, clock, rules, "ada@example.org")
    for _ in range(12):
        assert _fail(store, clock, rules).code == "INVALID_CREDENTIALS"
        clock.advance(timedelta(minutes=4))


def test_a_success_clears_the_failures(store, clock, rules):
    _register(store, clock, rules, "ada@example.org")
    for _ in range(4):
        _fail(store, clock, rules)
    service.login(store, clock, rules, "ada@example.org", PASSWORD)
    for _ in range(4):
        assert _fail(store, clock, rules).code == "INVALID_CREDENTIALS"


def test_unknown_emails_lock_the_same_way(store, clock, rules):
    for _ in range(5):
        assert _fail(store, clock, rules, "ghost@example.org").code == "INVALID_CREDENTIALS"
    assert _fail(store, clock, rules, "ghost@example.org").code == "TOO_MANY_ATTEMPTS"


def test_unknown_emails_cost_the_same_argon2_work(store, clock, rules, monkeypatch):
    _register(store, clock, rules, "ada@example.org")
    checked = []
    real = service.passwords.verify_password
    monkeypatch.setattr(service.passwords, "verify_password", lambda h, p: checked.append(h) or real(h, p))
    _fail(store, clock, rules, "ada@example.org")
    _fail(store, clock, rules, "ghost@example.org")
    assert len(checked) == 2
    assert checked[1] == service.passwords.dummy_hash("fast") and checked[1].startswith("$argon2id$v=19$m=64,t=1,p=1$")


# -- password change -------------------------------------------------------------------------
def test_changing_the_password_needs_the_current_one_and_signs_out_other_sessions(store, clock, rules):
    mine = _register(store, clock, rules, "ada@example.org")
    other = service.login(store, clock, rules, "ada@example.org", PASSWORD)
    with pytest.raises(DomainError) as caught:
        service.change_password(store, clock, rules, mine.customer.id, "wrong password", "new and long password")
    assert _code(caught) == (422, "INVALID_CURRENT_PASSWORD")
    assert service.authenticate(store, clock, other.token)
    service.change_password(
        store, clock, rules, mine.customer.id, PASSWORD, "new and long password", keep_token=token_digest(mine.token)
    )
    assert service.authenticate(store, clock, mine.token)
    with pytest.raises(DomainError):
        service.authenticate(store, clock, other.token)
    with pytest.raises(DomainError):
        service.login(store, clock, rules, "ada@example.org", PASSWORD)
    assert service.login(store, clock, rules, "ada@example.org", "new and long password")
    assert _mails(store, "ada@example.org", "password_changed")


def test_the_new_password_follows_the_policy_and_must_differ(store, clock, rules):
    mine = _register(store, clock, rules, "ada@example.org")
    before = store.get(CUSTOMER, mine.customer.id)
    for new in ("short", PASSWORD, "ada@example.org"):
        with pytest.raises(DomainError) as caught:
            service.change_password(store, clock, rules, mine.customer.id, PASSWORD, new)
        assert _code(caught) == (422, "WEAK_PASSWORD") and "new_password" in caught.value.errors
    assert store.get(CUSTOMER, mine.customer.id) == before


def test_guessing_the_current_password_counts_towards_the_lockout(store, clock, rules):
    mine = _register(store, clock, rules, "ada@example.org")
    for _ in range(5):
        with pytest.raises(DomainError):
            service.change_password(store, clock, rules, mine.customer.id, "guess number x", "new and long password")
    with pytest.raises(DomainError) as caught:
        service.change_password(store, clock, rules, mine.customer.id, PASSWORD, "new and long password")
    assert _code(caught) == (429, "TOO_MANY_ATTEMPTS")


# -- forgotten password -------------------------------------------------------------------------
def _reset_token(store, email):
    [mail] = _mails(store, email, "password_reset")[:1]
    return mail.tokens["reset_token"]


def test_forgot_mails_a_one_time_token_to_known_emails_only(store, clock, rules):
    _register(store, clock, rules, "ada@example.org")
    before = store.count(outbox.MAIL)
    assert service.forgot_password(store, clock, rules, "ghost@example.org") is None
    assert store.count(outbox.MAIL) == before and store.count(RESET_TOKEN) == 0
    assert service.forgot_password(store, clock, rules, "ADA@example.org") is None
    token = _reset_token(store, "ada@example.org")
    [mail] = _mails(store, "ada@example.org", "password_reset")
    assert mail.links == (f"http://shop.test/account/reset-password?token={token}",)
    assert token in mail.text
    [record] = store.values(RESET_TOKEN)
    assert record.id == token_digest(token)


def test_reset_sets_the_password_once_and_signs_out_everywhere(store, clock, rules):
    session = _register(store, clock, rules, "ada@example.org")
    for _ in range(5):
        _fail(store, clock, rules)
    service.forgot_password(store, clock, rules, "ada@example.org")
    token = _reset_token(store, "ada@example.org")
    service.reset_password(store, clock, rules, token, "brand new secret")
    with pytest.raises(DomainError):
        service.authenticate(store, clock, session.token)
    assert service.login(store, clock, rules, "ada@example.org", "brand new secret")  # the lockout was lifted too
    with pytest.raises(DomainError) as caught:
        service.reset_password(store, clock, rules, token, "another new secret")
    assert _code(caught) == (422, "RESET_TOKEN_INVALID")


def test_reset_tokens_expire(store, clock, rules):
    _register(store, clock, rules, "ada@example.org")
    service.forgot_password(store, clock, rules, "ada@example.org")
    token = _reset_token(store, "ada@example.org")
    clock.advance(timedelta(seconds=rules.reset_token_ttl_seconds))
    with pytest.raises(DomainError) as caught:
        service.reset_password(store, clock, rules, token, "brand new secret")
    assert _code(caught) == (422, "RESET_TOKEN_INVALID")
    assert service.login(store, clock, rules, "ada@example.org", PASSWORD)


def test_only_the_newest_reset_link_works(store, clock, rules):
    _register(store, clock, rules, "ada@example.org")
    service.forgot_password(store, clock, rules, "ada@example.org")
    older = _reset_token(store, "ada@example.org")
    service.forgot_password(store, clock, rules, "ada@example.org")
    newer = _reset_token(store, "ada@example.org")
    with pytest.raises(DomainError):
        service.reset_password(store, clock, rules, older, "brand new secret")
    service.reset_password(store, clock, rules, newer, "brand new secret")


def test_a_weak_new_password_leaves_the_reset_token_usable(store, clock, rules):
    _register(store, clock, rules, "ada@example.org")
    service.forgot_password(store, clock, rules, "ada@example.org")
    token = _reset_token(store, "ada@example.org")
    with pytest.raises(DomainError) as caught:
        service.reset_password(store, clock, rules, token, "password")
    assert _code(caught) == (422, "WEAK_PASSWORD")
    service.reset_password(store, clock, rules, token, "brand new secret")


# -- profile -------------------------------------------------------------------------------------
def test_profile_updates_bump_the_version_and_check_it(store, clock, rules):
    customer = _register(store, clock, rules, "ada@example.org").customer
    clock.advance(timedelta(minutes=1))
    updated = service.update_profile(store, clock, rules, customer.id, {"first_name": " Augusta ", "phone": "030 1234567"}, 1)
    assert (updated.first_name, updated.phone, updated.version) == ("Augusta", "030 1234567", 2)
    assert updated.updated_at > customer.updated_at
    with pytest.raises(DomainError) as caught:
        service.update_profile(store, clock, rules, customer.id, {"last_name": "Byron"}, 1)
    assert _code(caught) == (412, "VERSION_MISMATCH")
    assert service.update_profile(store, clock, rules, customer.id, {"phone": None}).phone is None
    same = service.update_profile(store, clock, rules, customer.id, {"first_name": "Augusta"})
    assert same.version == 3  # a change to the same value is no change


def test_changing_the_email_needs_the_password_and_a_free_address(store, clock, rules):
    ada = _register(store, clock, rules, "ada@example.org").customer
    _register(store, clock, rules, "bob@example.org")
    unchanged = service.update_profile(store, clock, rules, ada.id, {"email": "ada@example.org", "first_name": "Ada"})
    assert unchanged.email == "ada@example.org"  # the same email needs no password
    with pytest.raises(DomainError) as caught:
        service.update_profile(store, clock, rules, ada.id, {"email": "ada@new.example"})
    assert _code(caught) == (422, "VALIDATION_FAILED") and "current_password" in caught.value.errors
    with pytest.raises(DomainError) as caught:
        service.update_profile(store, clock, rules, ada.id, {"email": "ada@new.example", "current_password": "nope nope"})
    assert _code(caught) == (422, "INVALID_CURRENT_PASSWORD")
    with pytest.raises(DomainError) as caught:
        service.update_profile(store, clock, rules, ada.id, {"email": "BOB@example.org", "current_password": PASSWORD})
    assert _code(caught) == (409, "EMAIL_TAKEN")
    moved = service.update_profile(store, clock, rules, ada.id, {"email": "ada@new.example", "current_password": PASSWORD})
    assert moved.email == "ada@new.example"
    assert store.get(EMAIL_KEY, "ada@example.org") is None and store.get(EMAIL_KEY, "ada@new.example").customer_id == ada.id
    assert service.login(store, clock, rules, "ada@new.example", PASSWORD)
    assert _mails(store, "ada@example.org", "email_changed")
    _register(store, clock, rules, "ada@example.org")  # the old email is free again


def test_profile_fields_that_are_not_editable_are_refused(store, clock, rules):
    customer = _register(store, clock, rules).customer
    with pytest.raises(DomainError) as caught:
        service.update_profile(store, clock, rules, customer.id, {"password_hash": "x", "id": "cus_x"})
    assert _code(caught) == (422, "VALIDATION_FAILED") and set(caught.value.errors) == {"password_hash", "id"}


# -- address book ---------------------------------------------------------------------------------
@pytest.fixture
def customer_id(store, clock, rules):
    return _register(store, clock, rules, "ada@example.org").customer.id


def test_addresses_are_checked_and_normalized(store, clock, rules, customer_id):
    created = service.create_address(
        store, clock, rules, customer_id,
        address(country="nl", postal_code="1012ab", line1="  Damrak 1 ", phone="+31 20 123 4567"),
    )
    assert (created.country, created.postal_code, created.line1) == ("NL", "1012 AB", "Damrak 1")
    assert created.id.startswith("adr_") and created.version == 1


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"country": "XX"}, "country"),
        ({"country": "DEU"}, "country"),
        ({"country": "US", "postal_code": "10001"}, "country"),
        ({"postal_code": "1234"}, "postal_code"),
        ({"country": "GB", "postal_code": "12345"}, "postal_code"),
        ({"country": "NL", "postal_code": "0123 AB"}, "postal_code"),
        ({"country": "PL", "postal_code": "00001"}, "postal_code"),
        ({"phone": "12"}, "phone"),
        ({"phone": "+49 30 CALL ME"}, "phone"),
        ({"city": "  "}, "city"),
        ({"line1": None}, "line1"),
        ({"first_name": "x" * 101}, "first_name"),
        ({"is_default_billing": "yes"}, "is_default_billing"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_addresses_are_refused_with_the_field_named(store, clock, rules, customer_id, fields, field):
    with pytest.raises(DomainError) as caught:
        service.create_address(store, clock, rules, customer_id, address(**fields))
    assert _code(caught) == (422, "VALIDATION_FAILED")
    assert field in caught.value.errors
    assert store.by_owner(ADDRESS, customer_id) == []


def test_missing_required_fields_are_all_listed(store, clock, rules, customer_id):
    with pytest.raises(DomainError) as caught:
        service.create_address(store, clock, rules, customer_id, {})
    assert set(caught.value.errors) == {"first_name", "last_name", "line1", "postal_code", "city", "country"}


def _flags(store, customer_id):
    return {a.id: (a.is_default_shipping, a.is_default_billing) for a in store.by_owner(ADDRESS, customer_id)}


def test_the_first_address_becomes_both_defaults_and_later_ones_do_not(store, clock, rules, customer_id):
    first = service.create_address(store, clock, rules, customer_id, address())
    second = service.create_address(store, clock, rules, customer_id, address(city="Hamburg", postal_code="20095"))
    assert _flags(store, customer_id) == {first.id: (True, True), second.id: (False, False)}
    assert service.default_address_ids(store, customer_id) == (first.id, first.id)


def test_an_explicit_false_keeps_even_the_first_address_out_of_the_defaults(store, clock, rules, customer_id):
    only = service.create_address(store, clock, rules, customer_id, address(is_default_billing=False))
    assert _flags(store, customer_id) == {only.id: (True, False)}


def test_a_new_default_clears_the_old_one(store, clock, rules, customer_id):
    first = service.create_address(store, clock, rules, customer_id, address())
    second = service.create_address(store, clock, rules, customer_id, address(is_default_shipping=True))
    assert _flags(store, customer_id) == {first.id: (False, True), second.id: (True, False)}
    assert store.get(ADDRESS, first.id).version == 2  # the cleared one changed too
    third = service.replace_address(store, clock, customer_id, first.id, address(is_default_shipping=True), 2)
    assert _flags(store, customer_id) == {first.id: (True, True), second.id: (False, False)}
    assert third.version == 3


def test_replace_keeps_flags_left_out_and_clears_flags_set_false(store, clock, rules, customer_id):
    first = service.create_address(store, clock, rules, customer_id, address())
    kept = service.replace_address(store, clock, customer_id, first.id, address(city="Potsdam", postal_code="14467"))
    assert (kept.city, kept.is_default_shipping, kept.is_default_billing) == ("Potsdam", True, True)
    cleared = service.replace_address(store, clock, customer_id, first.id, address(is_default_billing=False))
    assert (cleared.is_default_shipping, cleared.is_default_billing) == (True, False)
    assert service.default_address_ids(store, customer_id) == (first.id, None)


def test_deleting_a_default_promotes_the_newest_remaining_address_or_none(store, clock, rules, customer_id):
    first = service.create_address(store, clock, rules, customer_id, address())
    clock.advance(timedelta(seconds=1))
    second = service.create_address(store, clock, rules, customer_id, address(city="Köln", postal_code="50667"))
    clock.advance(timedelta(seconds=1))
    third = service.create_address(store, clock, rules, customer_id, address(city="Bonn", postal_code="53111"))
    service.delete_address(store, clock, customer_id, first.id)
    assert _flags(store, customer_id) == {second.id: (False, False), third.id: (True, True)}
    service.delete_address(store, clock, customer_id, second.id)  # not a default: nothing moves
    assert _flags(store, customer_id) == {third.id: (True, True)}
    service.delete_address(store, clock, customer_id, third.id)
    assert service.default_address_ids(store, customer_id) == (None, None)


def test_the_address_book_has_a_limit(store, clock, rules, customer_id):
    for _ in range(rules.max_addresses):
        service.create_address(store, clock, rules, customer_id, address())
    with pytest.raises(DomainError) as caught:
        service.create_address(store, clock, rules, customer_id, address())
    assert _code(caught) == (409, "ADDRESS_LIMIT_REACHED")
    assert len(store.by_owner(ADDRESS, customer_id)) == rules.max_addresses


def test_stale_versions_change_nothing(store, clock, rules, customer_id):
    first = service.create_address(store, clock, rules, customer_id, address())
    service.replace_address(store, clock, customer_id, first.id, address(city="Potsdam", postal_code="14467"), 1)
    current = store.get(ADDRESS, first.id)
    for action in (
        lambda: service.replace_address(store, clock, customer_id, first.id, address(), 1),
        lambda: service.delete_address(store, clock, customer_id, first.id, 1),
    ):
        with pytest.raises(DomainError) as caught:
            action()
        assert _code(caught) == (412, "VERSION_MISMATCH")
        assert store.get(ADDRESS, first.id) == current
    service.delete_address(store, clock, customer_id, first.id, 2)
    assert store.get(ADDRESS, first.id) is None


def test_another_customers_address_is_not_found(store, clock, rules, customer_id):
    other = _register(store, clock, rules, "bob@example.org").customer.id
    theirs = service.create_address(store, clock, rules, other, address())
    for action in (
        lambda: service.get_address(store, customer_id, theirs.id),
        lambda: service.replace_address(store, clock, customer_id, theirs.id, address()),
        lambda: service.delete_address(store, clock, customer_id, theirs.id),
    ):
        with pytest.raises(DomainError) as caught:
            action()
        assert _code(caught) == (404, "ADDRESS_NOT_FOUND")
    assert store.get(ADDRESS, theirs.id) == theirs


# -- registration idempotency -----------------------------------------------------------------------
def test_a_replayed_registration_answers_the_same_customer_with_a_fresh_token(store, clock, rules):
    body = registration("ada@example.org")
    first, replayed = service.register(store, clock, rules, body, idempotency_key="key-1")
    again, replayed_again = service.register(store, clock, rules, dict(body), idempotency_key="key-1")
    assert (replayed, replayed_again) == (False, True)
    assert again.customer.id == first.customer.id and again.token != first.token
    assert store.count(CUSTOMER) == 1 and len(_mails(store, "ada@example.org", "welcome")) == 1
    assert service.authenticate(store, clock, again.token).id == first.customer.id


@pytest.mark.parametrize("change", [{"first_name": "Augusta"}, {"password": "another long secret"}, {"email": "eve@example.org"}])
def test_the_same_key_with_another_body_is_422(store, clock, rules, change):
    service.register(store, clock, rules, registration("ada@example.org"), idempotency_key="key-1")
    with pytest.raises(DomainError) as caught:
        service.register(store, clock, rules, {**registration("ada@example.org"), **change}, idempotency_key="key-1")
    assert _code(caught) == (422, "IDEMPOTENCY_KEY_REUSED")
    assert store.count(CUSTOMER) == 1


def test_the_idempotency_record_holds_neither_the_token_nor_the_password(store, clock, rules):
    session, _ = service.register(store, clock, rules, registration("ada@example.org"), idempotency_key="key-1")
    [record] = store.values("idempotency_key")
    assert record.result == session.customer.id
    dumped = repr(dataclasses.asdict(record))
    assert session.token not in dumped and PASSWORD not in dumped

"""Customer accounts: registration, profile, password change and forgotten-password reset.

The fields arrive as the request schemas (`schemas.py`) load them: typed, trimmed, sized.
What is checked here are the rules those cannot see: a free email, the password policy,
the current password before a sensitive change. Slow work (Argon2 hashing) runs outside
`store.atomic()`, and the write that depends on it re-checks what it relied on inside
the lock, so a slow hash never stalls other requests and two racing requests never
both win (one email, one customer).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from simulator import idempotency, versioned
from simulator.clock import Clock
from simulator.errors import DomainError, not_found, validation_error
from simulator.mail import outbox
from simulator.store import Store
from simulator.tokens import new_token, token_digest

from . import lockout, passwords, sessions, signup_limit
from .model import CUSTOMER, EMAIL_KEY, RESET_TOKEN, Customer, EmailKey, ResetToken, normalize_email
from .rules import CustomerRules
from .sessions import Session

REGISTER_SCOPE = "customers.register"
#: What PATCH /customers/me may change besides the email (which has rules of its own).
EDITABLE = ("first_name", "last_name", "phone", "marketing_consent")


def get_customer(store: Store, customer_id: str) -> Customer:
    customer = store.get(CUSTOMER, customer_id)
    if customer is None:
        raise not_found("CUSTOMER_NOT_FOUND", f"There is no customer {customer_id}.")
    return customer


def _email_taken() -> DomainError:
    return DomainError(409, "EMAIL_TAKEN", "An account with this email already exists.", errors={"email": "already registered"})


# -- registration ---------------------------------------------------------------------
def register(
    store: Store,
    clock: Clock,
    rules: CustomerRules,
    fields: Mapping[str, Any],
    idempotency_key: str | None = None,
    client_address: str | None = None,
) -> tuple[Session, bool]:
    """A new customer and a session: (session, replayed). `fields` as `RegisterSchema` loads them.
    `client_address` (the caller's IP) is where the registration counts (`signup_limit`).

    With an `idempotency_key`, a repeat of the same request answers the same customer
    (with a new token: the first token was never stored) instead of a second account.
    The password is not part of the stored fingerprint (a fast digest of it would be
    a crackable copy); a replay proves it by verifying against the customer's hash.
    """
    email, password = fields["email"], fields["password"]
    profile = {
        "first_name": fields["first_name"],
        "last_name": fields["last_name"],
        "phone": fields.get("phone"),
        "marketing_consent": fields.get("marketing_consent", False),
    }
    passwords.check_policy(password, email)
    created: dict[str, Session] = {}

    def create() -> str:
        session = _register(store, clock, rules, email, password, profile, lockout.address_key(client_address))
        created["session"] = session
        return session.customer.id

    fingerprint = idempotency.fingerprint({"email": email, **profile})
    outcome = idempotency.run(store, clock, REGISTER_SCOPE, idempotency_key, fingerprint, create)
    if not outcome.replayed:
        return created["session"], False
    customer = store.get(CUSTOMER, outcome.result)
    email_key = normalize_email(email)
    if customer is None or not lockout.check_password(store, clock, rules, customer, email_key, password):
        raise idempotency.key_reused()
    return sessions.open_session(store, clock, rules, customer), True


def _register(
    store: Store, clock: Clock, rules: CustomerRules, email: str, password: str, profile: dict, client_address: str | None,
) -> Session:
    signup_limit.check(store, clock, rules, client_address)  # refused before any hashing
    email_key = normalize_email(email)
    if store.get(EMAIL_KEY, email_key) is not None:
        raise _email_taken()
    password_hash = passwords.hash_password(password, rules.hash_profile)  # slow: outside the lock
    with store.atomic():
        if store.get(EMAIL_KEY, email_key) is not None:  # someone registered it while we hashed
            raise _email_taken()
        signup_limit.count(store, clock, rules, client_address)
        now = clock.now()
        customer = Customer(
            id=store.new_id("cus"), email=email, **profile, password_hash=password_hash, created_at=now, updated_at=now
        )
        store.put(CUSTOMER, customer)
        store.put(EMAIL_KEY, EmailKey(email_key, customer.id))
        session = sessions.open_session(store, clock, rules, customer)
    outbox.send(
        store,
        clock,
        recipient=email,
        subject="Welcome to the shop",
        text=f"Hello {customer.first_name},\n\nyour customer account is ready. Log in with {email}.\n",
        template="welcome",
        links=(f"{rules.storefront_url}/account",),
    )
    return session


# -- profile ------------------------------------------------------------------------
def update_profile(
    store: Store,
    clock: Clock,
    rules: CustomerRules,
    customer_id: str,
    changes: Mapping[str, Any],
    expected_version: int | None = None,
) -> Customer:
    """Change some profile fields (`changes` as `ProfilePatchSchema` loads them; only the
    editable ones and the email are read). A new email needs `current_password` and must be free."""
    edits = {name: changes[name] for name in EDITABLE if name in changes}
    customer = get_customer(store, customer_id)
    new_email = changes.get("email")
    # A form that sends the unchanged email along needs no password; a new email does.
    email_changes = new_email is not None and new_email != customer.email
    if email_changes and changes.get("current_password") is None:
        raise validation_error({"current_password": "required to change the email"})
    if expected_version is not None and customer.version != expected_version:
        raise versioned.stale("profile", customer.version)
    if email_changes:
        _verify_current_password(store, clock, rules, customer, changes["current_password"])
    now = clock.now()
    with store.atomic():
        current = get_customer(store, customer_id)
        if email_changes:
            current = lockout.still_the_password_checked(store, customer, _current_password_wrong)
        if expected_version is not None and current.version != expected_version:
            raise versioned.stale("profile", current.version)
        if email_changes:
            old_key, new_key = normalize_email(current.email), normalize_email(new_email)
            if new_key != old_key:
                if store.get(EMAIL_KEY, new_key) is not None:
                    raise _email_taken()
                store.delete(EMAIL_KEY, old_key)
                store.put(EMAIL_KEY, EmailKey(new_key, current.id))
            edits["email"] = new_email
        if all(getattr(current, name) == value for name, value in edits.items()):
            return current  # nothing changes: same version, same ETag
        updated = dataclasses.replace(current, **edits, updated_at=now, version=current.version + 1)
        store.put(CUSTOMER, updated)
    if email_changes:
        outbox.send(
            store,
            clock,
            recipient=customer.email,
            subject="Your email address was changed",
            text=f"Hello {updated.first_name},\n\nyour account now uses {new_email}. If you did not do this, contact us.\n",
            template="email_changed",
        )
    return updated


# -- password change -------------------------------------------------------------------
def _verify_current_password(store: Store, clock: Clock, rules: CustomerRules, customer: Customer, password: str) -> None:
    if not lockout.check_password(store, clock, rules, customer, normalize_email(customer.email), password):
        raise _current_password_wrong()


def _current_password_wrong() -> DomainError:
    return DomainError(
        422, "INVALID_CURRENT_PASSWORD", "The current password is not correct.",
        errors={"current_password": "is not correct"},
    )


def change_password(
    store: Store,
    clock: Clock,
    rules: CustomerRules,
    customer_id: str,
    current_password: str,
    new_password: str,
    keep_token: str | None = None,
) -> Customer:
    """Set a new password after checking the current one; revokes every other session.

    `keep_token` is the digest of the caller's own token, which stays valid.
    """
    customer = get_customer(store, customer_id)
    passwords.check_policy(new_password, customer.email, field="new_password")
    if new_password == current_password:
        raise DomainError(
            422, "WEAK_PASSWORD", "The new password must differ from the current one.",
            errors={"new_password": "must differ from the current password"},
        )
    _verify_current_password(store, clock, rules, customer, current_password)
    new_hash = passwords.hash_password(new_password, rules.hash_profile)
    now = clock.now()
    with store.atomic():
        current = lockout.still_the_password_checked(store, customer, _current_password_wrong)
        updated = _set_password(store, current, new_hash, now, keep_token)
    _send_password_changed(store, clock, rules, updated)
    return updated


def _set_password(store: Store, current: Customer, new_hash: str, now: datetime, keep_token: str | None = None) -> Customer:
    """Under the store lock: the new hash, every session but `keep_token` revoked, reset links void."""
    updated = dataclasses.replace(current, password_hash=new_hash, updated_at=now, version=current.version + 1)
    store.put(CUSTOMER, updated)
    sessions.revoke_sessions(store, current.id, keep=keep_token)
    for token in store.by_owner(RESET_TOKEN, current.id):
        store.delete(RESET_TOKEN, token.id)
    return updated


def _send_password_changed(store: Store, clock: Clock, rules: CustomerRules, customer: Customer) -> None:
    outbox.send(
        store,
        clock,
        recipient=customer.email,
        subject="Your password was changed",
        text=f"Hello {customer.first_name},\n\nthe password of your account was changed and other sessions were "
        "signed out. If you did not do this, reset your password now.\n",
        template="password_changed",
        links=(f"{rules.storefront_url}/account/forgot-password",),
    )


# -- forgotten password -------------------------------------------------------------------
def forgot_password(store: Store, clock: Clock, rules: CustomerRules, email: str) -> None:
    """Send a reset mail when the email has an account; answer the same either way.

    The token is drawn and hashed before the lookup, so a known and an unknown email
    do the same work (no password hashing either way); only a store write and the
    outbox entry differ, microseconds next to the request itself.
    """
    raw = new_token()
    digest = token_digest(raw)
    now = clock.now()
    entry = store.get(EMAIL_KEY, normalize_email(email))
    customer = store.get(CUSTOMER, entry.customer_id) if entry else None
    if customer is None:
        return
    expires_at = now + timedelta(seconds=rules.reset_token_ttl_seconds)
    with store.atomic():
        for older in store.by_owner(RESET_TOKEN, customer.id):  # only the newest link works
            store.delete(RESET_TOKEN, older.id)
        store.put(RESET_TOKEN, ResetToken(digest, customer.id, now, expires_at))
    minutes = rules.reset_token_ttl_seconds // 60
    link = f"{rules.storefront_url}/account/reset-password?token={raw}"
    outbox.send(
        store,
        clock,
        recipient=customer.email,
        subject="Reset your password",
        text=f"Hello {customer.first_name},\n\nset a new password with this link (valid for {minutes} minutes, "
        f"once):\n{link}\n\nOr use this code: {raw}\n\nIf you did not ask for this, ignore this mail.\n",
        template="password_reset",
        links=(link,),
        tokens={"reset_token": raw},
    )


def _reset_token_invalid() -> DomainError:
    return DomainError(
        422,
        "RESET_TOKEN_INVALID",
        "The reset token is unknown, expired or already used; ask for a new one.",
        errors={"token": "unknown, expired or already used"},
    )


def reset_password(store: Store, clock: Clock, rules: CustomerRules, raw_token: str, new_password: str) -> Customer:
    """Set a new password with a reset token: the token works once; every session is revoked."""
    digest = token_digest(raw_token)
    record = store.get(RESET_TOKEN, digest)
    if record is None:
        raise _reset_token_invalid()
    if record.expires_at <= clock.now():
        store.delete(RESET_TOKEN, digest)
        raise _reset_token_invalid()
    customer = get_customer(store, record.owner_id)
    passwords.check_policy(new_password, customer.email)
    new_hash = passwords.hash_password(new_password, rules.hash_profile)
    now = clock.now()
    with store.atomic():
        if store.delete(RESET_TOKEN, digest) is None:  # used by a racing request meanwhile
            raise _reset_token_invalid()
        current = get_customer(store, record.owner_id)
        updated = _set_password(store, current, new_hash, now)
        lockout.clear_attempts(store, normalize_email(current.email))
    _send_password_changed(store, clock, rules, updated)
    return updated

"""Customer rules: registration, sessions, brute-force lockout, password reset, profile, address book.

Plain Python over the store and the simulator clock; no Flask. Slow work (Argon2
hashing) runs outside `store.atomic()`, and the write that depends on it re-checks
what it relied on inside the lock, so a slow hash never stalls other requests and
two racing requests never both win (one email, one customer).
"""

from __future__ import annotations

import dataclasses
import math
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Mapping

from simulator import idempotency
from simulator.clock import Clock
from simulator.errors import DomainError, not_found, validation_error
from simulator.mail import outbox
from simulator.store import Store

from . import passwords
from .countries import COUNTRIES, normalize_postal_code, phone_problem
from .model import (
    ADDRESS,
    AUTH_TOKEN,
    CUSTOMER,
    EMAIL_KEY,
    LOGIN_ATTEMPTS,
    RESET_TOKEN,
    Address,
    AuthToken,
    Customer,
    EmailKey,
    LoginAttempts,
    ResetToken,
    normalize_email,
    token_digest,
)

#: Failed logins for one email within the window that lock it (429 until the oldest leaves the window).
LOCKOUT_THRESHOLD = 5
LOCKOUT_WINDOW_SECONDS = 15 * 60
#: Open sessions per customer; past it the oldest is revoked (a load test logging in all day stays bounded).
MAX_SESSIONS = 100
TOKEN_BYTES = 32  # secrets.token_urlsafe(32): 256 random bits, 43 characters
MAX_TOKEN_LENGTH = 512
EMAIL_MAX_LENGTH = 254
NAME_MAX_LENGTH = 100
REALM = "alegra-sim"
REGISTER_SCOPE = "customers.register"
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class CustomerRules:
    """The settings the customer rules depend on, as plain values."""

    token_ttl_seconds: int = 24 * 3600
    reset_token_ttl_seconds: int = 3600
    max_addresses: int = 20
    hash_profile: str = "secure"
    base_url: str = "http://127.0.0.1:8000"  # links in mails

    @classmethod
    def from_settings(cls, settings) -> "CustomerRules":
        return cls(
            token_ttl_seconds=settings.token_ttl_seconds,
            reset_token_ttl_seconds=settings.reset_token_ttl_seconds,
            max_addresses=settings.max_addresses,
            hash_profile=settings.password_hash_profile,
            base_url=settings.base_url,
        )


@dataclass(frozen=True)
class Session:
    """A fresh login. `token` is the raw bearer token: handed to the caller once, never stored."""

    customer: Customer
    token: str
    expires_at: datetime


# -- errors -----------------------------------------------------------------------
def unauthorized(detail: str, code: str = "UNAUTHORIZED", token_given: bool = True) -> DomainError:
    """401 with a `WWW-Authenticate` challenge (RFC 6750)."""
    challenge = f'Bearer realm="{REALM}"'
    if token_given:
        challenge += f', error="invalid_token", error_description="{detail.rstrip(".")}"'
    return DomainError(401, code, detail, headers={"WWW-Authenticate": challenge})


def _invalid_credentials() -> DomainError:
    return DomainError(
        401,
        "INVALID_CREDENTIALS",
        "The email or the password is not correct.",
        headers={"WWW-Authenticate": f'Bearer realm="{REALM}"'},
    )


def _email_taken() -> DomainError:
    return DomainError(409, "EMAIL_TAKEN", "An account with this email already exists.", errors={"email": "already registered"})


def _address_not_found(address_id: str) -> DomainError:
    return not_found("ADDRESS_NOT_FOUND", f"There is no address {address_id} in your address book.")


def _stale(what: str, version: int) -> DomainError:
    return DomainError(412, "VERSION_MISMATCH", f"{what} changed; it is at version {version} now.", current_version=version)


# -- field checks -------------------------------------------------------------------
def _text(errors: dict, values: Mapping[str, Any], name: str, required: bool, max_length: int = NAME_MAX_LENGTH) -> str | None:
    """A trimmed single-line text field; records a message in `errors` when unusable."""
    raw = values.get(name)
    if raw is None:
        if required:
            errors[name] = "required"
        return None
    if not isinstance(raw, str):
        errors[name] = "must be a string"
        return None
    text = raw.strip()
    if not text:
        if required:
            errors[name] = "must not be blank"
        return None
    if len(text) > max_length:
        errors[name] = f"at most {max_length} characters"
    elif _CONTROL.search(text):
        errors[name] = "must not contain control characters"
    return text


def _phone(errors: dict, values: Mapping[str, Any], name: str = "phone") -> str | None:
    phone = _text(errors, values, name, required=False, max_length=30)
    if phone is not None and name not in errors:
        problem = phone_problem(phone)
        if problem:
            errors[name] = problem
    return phone


def _email(errors: dict, values: Mapping[str, Any], name: str = "email") -> str | None:
    email = _text(errors, values, name, required=True, max_length=EMAIL_MAX_LENGTH)
    if email is not None and name not in errors and not _EMAIL.fullmatch(email):
        errors[name] = "not a valid email address"
    return email


# -- sessions -----------------------------------------------------------------------
def get_customer(store: Store, customer_id: str) -> Customer:
    customer = store.get(CUSTOMER, customer_id)
    if customer is None:
        raise not_found("CUSTOMER_NOT_FOUND", f"There is no customer {customer_id}.")
    return customer


def _still_the_password_checked(store: Store, checked: Customer, refusal: Callable[[], DomainError]) -> Customer:
    """Under the store lock, after a slow password check: the customer as now, provided the
    password checked is still theirs. A change or reset that landed meanwhile wins, and the
    request that checked the old password is refused (its session would outlive the change)."""
    current = store.get(CUSTOMER, checked.id)
    if current is None or current.password_hash != checked.password_hash:
        raise refusal()
    return current


def _set_password(store: Store, current: Customer, new_hash: str, now: datetime, keep_token: str | None = None) -> Customer:
    """Under the store lock: the new hash, every session but `keep_token` revoked, reset links void."""
    updated = dataclasses.replace(current, password_hash=new_hash, updated_at=now, version=current.version + 1)
    store.put(CUSTOMER, updated)
    _revoke_tokens(store, current.id, keep=keep_token)
    for token in store.by_owner(RESET_TOKEN, current.id):
        store.delete(RESET_TOKEN, token.id)
    return updated


def _open_session(store: Store, clock: Clock, rules: CustomerRules, customer: Customer) -> Session:
    raw = secrets.token_urlsafe(TOKEN_BYTES)
    now = clock.now()
    record = AuthToken(token_digest(raw), customer.id, now, now + timedelta(seconds=rules.token_ttl_seconds))
    with store.atomic():
        _still_the_password_checked(store, customer, _invalid_credentials)
        live = []
        for token in store.by_owner(AUTH_TOKEN, customer.id):
            if token.expires_at <= now:
                store.delete(AUTH_TOKEN, token.id)
            else:
                live.append(token)
        live.sort(key=lambda t: (t.created_at, t.id))
        for token in live[: max(0, len(live) - MAX_SESSIONS + 1)]:
            store.delete(AUTH_TOKEN, token.id)
        store.put(AUTH_TOKEN, record)
    return Session(customer, raw, record.expires_at)


def authenticate(store: Store, clock: Clock, raw_token: str | None) -> Customer:
    """The customer a bearer token belongs to; 401 when missing, unknown, revoked or expired."""
    if not raw_token:
        raise unauthorized("This call needs `Authorization: Bearer <token>` from login or registration.", token_given=False)
    if len(raw_token) > MAX_TOKEN_LENGTH:
        raise unauthorized("The bearer token is not valid.")
    digest = token_digest(raw_token)
    record = store.get(AUTH_TOKEN, digest)
    if record is None:
        raise unauthorized("The bearer token is not valid.")
    if record.expires_at <= clock.now():
        store.delete(AUTH_TOKEN, digest)
        raise unauthorized("The bearer token expired; log in again.", code="TOKEN_EXPIRED")
    customer = store.get(CUSTOMER, record.owner_id)
    if customer is None:
        raise unauthorized("The bearer token is not valid.")
    return customer


def logout(store: Store, clock: Clock, raw_token: str | None) -> None:
    """Revoke the token (401 when it is not a live token)."""
    authenticate(store, clock, raw_token)
    store.delete(AUTH_TOKEN, token_digest(raw_token))


def _revoke_tokens(store: Store, customer_id: str, keep: str | None = None) -> int:
    revoked = 0
    for token in store.by_owner(AUTH_TOKEN, customer_id):
        if token.id != keep:
            store.delete(AUTH_TOKEN, token.id)
            revoked += 1
    return revoked


# -- brute-force lockout ------------------------------------------------------------------
def _raise_if_locked(store: Store, clock: Clock, email_key: str) -> tuple[float, ...]:
    """429 when the email has too many recent failures; otherwise those failures."""
    now = clock.timestamp()
    record = store.get(LOGIN_ATTEMPTS, email_key)
    recent = tuple(t for t in (record.failures if record else ()) if t > now - LOCKOUT_WINDOW_SECONDS)
    if len(recent) >= LOCKOUT_THRESHOLD:
        retry_after = max(1, math.ceil(recent[0] + LOCKOUT_WINDOW_SECONDS - now))
        raise DomainError(
            429,
            "TOO_MANY_ATTEMPTS",
            f"Too many failed logins for this email; try again in {retry_after} seconds.",
            headers={"Retry-After": str(retry_after)},
            retry_after_seconds=retry_after,
        )
    return recent


def _settle_attempt(store: Store, clock: Clock, email_key: str, succeeded: bool) -> None:
    """Record a checked password under the lock: a failure counts, a success clears the count.

    The lock state is decided again here, after the slow hash: when parallel guesses
    pushed the email past the threshold meanwhile, this one answers 429 whatever the
    password was, so guesses beyond the threshold learn nothing. Correct passwords
    sent in parallel are not locked out by each other.
    """
    with store.atomic():
        recent = _raise_if_locked(store, clock, email_key)
        if succeeded:
            _clear_attempts(store, email_key)
        else:
            store.put(LOGIN_ATTEMPTS, LoginAttempts(email_key, (recent + (clock.timestamp(),))[-LOCKOUT_THRESHOLD:]))


def _clear_attempts(store: Store, email_key: str) -> None:
    store.delete(LOGIN_ATTEMPTS, email_key)


def _check_password(store: Store, clock: Clock, rules: CustomerRules, customer: Customer | None, email_key: str, password: str) -> bool:
    """Lockout-guarded password check; unknown emails cost the same Argon2 work as known ones."""
    _raise_if_locked(store, clock, email_key)  # a locked email is refused before any hashing
    if customer is None:
        passwords.verify_password(passwords.dummy_hash(rules.hash_profile), password)
        succeeded = False
    else:
        succeeded = passwords.verify_password(customer.password_hash, password)
    _settle_attempt(store, clock, email_key, succeeded)
    return succeeded


def login(store: Store, clock: Clock, rules: CustomerRules, email: str, password: str) -> Session:
    email_key = normalize_email(email)
    entry = store.get(EMAIL_KEY, email_key)
    customer = store.get(CUSTOMER, entry.customer_id) if entry else None
    if not _check_password(store, clock, rules, customer, email_key, password):
        raise _invalid_credentials()
    return _open_session(store, clock, rules, customer)


# -- registration ---------------------------------------------------------------------
def _clean_profile(values: Mapping[str, Any], partial: bool) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    for name in ("first_name", "last_name"):
        if not partial or name in values:
            cleaned[name] = _text(errors, values, name, required=True)
    if "phone" in values:
        cleaned["phone"] = _phone(errors, values)
    if "marketing_consent" in values:
        consent = values["marketing_consent"]
        if not isinstance(consent, bool):
            errors["marketing_consent"] = "must be true or false"
        cleaned["marketing_consent"] = consent
    return cleaned, errors


def register(
    store: Store,
    clock: Clock,
    rules: CustomerRules,
    values: Mapping[str, Any],
    idempotency_key: str | None = None,
) -> tuple[Session, bool]:
    """A new customer and a session: (session, replayed).

    With an `idempotency_key`, a repeat of the same request answers the same customer
    (with a new token: the first token was never stored) instead of a second account.
    The password is not part of the stored fingerprint (a fast digest of it would be
    a crackable copy); a replay proves it by verifying against the customer's hash.
    """
    unknown = set(values) - {"email", "password", "first_name", "last_name", "phone", "marketing_consent"}
    if unknown:
        raise validation_error({name: "unknown field" for name in sorted(unknown)})
    errors: dict[str, str] = {}
    email = _email(errors, values)
    password = values.get("password")
    if not isinstance(password, str):
        errors["password"] = "required"
    cleaned, profile_errors = _clean_profile(values, partial=False)
    errors.update(profile_errors)
    if errors:
        raise validation_error(errors)
    passwords.check_policy(password, email)
    body = {"email": email, **cleaned, "marketing_consent": cleaned.get("marketing_consent", False)}
    created: dict[str, Session] = {}

    def create() -> str:
        session = _register(store, clock, rules, email, password, cleaned)
        created["session"] = session
        return session.customer.id

    outcome = idempotency.run(store, clock, REGISTER_SCOPE, idempotency_key, idempotency.fingerprint(body), create)
    if not outcome.replayed:
        return created["session"], False
    customer = store.get(CUSTOMER, outcome.result)
    email_key = normalize_email(email)
    if customer is None or not _check_password(store, clock, rules, customer, email_key, password):
        raise idempotency.key_reused()
    return _open_session(store, clock, rules, customer), True


def _register(store: Store, clock: Clock, rules: CustomerRules, email: str, password: str, cleaned: dict) -> Session:
    email_key = normalize_email(email)
    if store.get(EMAIL_KEY, email_key) is not None:
        raise _email_taken()
    password_hash = passwords.hash_password(password, rules.hash_profile)  # slow: outside the lock
    with store.atomic():
        if store.get(EMAIL_KEY, email_key) is not None:  # someone registered it while we hashed
            raise _email_taken()
        now = clock.now()
        customer = Customer(
            id=store.new_id("cus"),
            email=email,
            first_name=cleaned["first_name"],
            last_name=cleaned["last_name"],
            phone=cleaned.get("phone"),
            marketing_consent=cleaned.get("marketing_consent", False),
            password_hash=password_hash,
            created_at=now,
            updated_at=now,
        )
        store.put(CUSTOMER, customer)
        store.put(EMAIL_KEY, EmailKey(email_key, customer.id))
        session = _open_session(store, clock, rules, customer)
    outbox.send(
        store,
        clock,
        recipient=email,
        subject="Welcome to the shop",
        text=f"Hello {customer.first_name},\n\nyour customer account is ready. Log in with {email}.\n",
        template="welcome",
        links=(f"{rules.base_url}/account",),
    )
    return session


# -- profile ------------------------------------------------------------------------
PROFILE_FIELDS = ("first_name", "last_name", "phone", "marketing_consent", "email", "current_password")


def update_profile(
    store: Store,
    clock: Clock,
    rules: CustomerRules,
    customer_id: str,
    changes: Mapping[str, Any],
    expected_version: int | None = None,
) -> Customer:
    """Change some profile fields. A new email needs `current_password` and must be free."""
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise validation_error({name: "not editable" for name in sorted(unknown)})
    cleaned, errors = _clean_profile(changes, partial=True)
    customer = get_customer(store, customer_id)
    new_email = _email(errors, changes) if "email" in changes else None
    # A form that sends the unchanged email along needs no password; a new email does.
    email_changes = new_email is not None and "email" not in errors and new_email != customer.email
    if email_changes and not isinstance(changes.get("current_password"), str):
        errors["current_password"] = "required to change the email"
    if errors:
        raise validation_error(errors)
    if expected_version is not None and customer.version != expected_version:
        raise _stale("Your profile", customer.version)
    if email_changes:
        _verify_current_password(store, clock, rules, customer, changes["current_password"])
    now = clock.now()
    with store.atomic():
        current = get_customer(store, customer_id)
        if email_changes:
            current = _still_the_password_checked(store, customer, _current_password_wrong)
        if expected_version is not None and current.version != expected_version:
            raise _stale("Your profile", current.version)
        if email_changes:
            old_key, new_key = normalize_email(current.email), normalize_email(new_email)
            if new_key != old_key:
                if store.get(EMAIL_KEY, new_key) is not None:
                    raise _email_taken()
                store.delete(EMAIL_KEY, old_key)
                store.put(EMAIL_KEY, EmailKey(new_key, current.id))
            cleaned["email"] = new_email
        if all(getattr(current, name) == value for name, value in cleaned.items()):
            return current  # nothing changes: same version, same ETag
        updated = dataclasses.replace(current, **cleaned, updated_at=now, version=current.version + 1)
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


def _verify_current_password(store: Store, clock: Clock, rules: CustomerRules, customer: Customer, password: str) -> None:
    if not _check_password(store, clock, rules, customer, normalize_email(customer.email), password):
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
        current = _still_the_password_checked(store, customer, _current_password_wrong)
        updated = _set_password(store, current, new_hash, now, keep_token)
    _send_password_changed(store, clock, rules, updated)
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
        links=(f"{rules.base_url}/account/forgot-password",),
    )


# -- forgotten password -------------------------------------------------------------------
def forgot_password(store: Store, clock: Clock, rules: CustomerRules, email: str) -> None:
    """Send a reset mail when the email has an account; answer the same either way.

    The token is drawn and hashed before the lookup, so a known and an unknown email
    do the same work (no password hashing either way); only a store write and the
    outbox entry differ, microseconds next to the request itself.
    """
    raw = secrets.token_urlsafe(TOKEN_BYTES)
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
    link = f"{rules.base_url}/account/reset-password?token={raw}"
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
    if not raw_token or len(raw_token) > MAX_TOKEN_LENGTH:
        raise _reset_token_invalid()
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
        _clear_attempts(store, normalize_email(current.email))
    _send_password_changed(store, clock, rules, updated)
    return updated


# -- address book -------------------------------------------------------------------
ADDRESS_TEXT = {  # name: (required, max length)
    "first_name": (True, NAME_MAX_LENGTH),
    "last_name": (True, NAME_MAX_LENGTH),
    "company": (False, NAME_MAX_LENGTH),
    "line1": (True, 200),
    "line2": (False, 200),
    "postal_code": (True, 20),
    "city": (True, NAME_MAX_LENGTH),
    "region": (False, NAME_MAX_LENGTH),
    "country": (True, 10),  # longer than a code, so "DEU" gets the helpful message below
}
DEFAULT_FLAGS = ("is_default_shipping", "is_default_billing")
ADDRESS_FIELDS = (*ADDRESS_TEXT, "phone", *DEFAULT_FLAGS)


def clean_address(values: Mapping[str, Any]) -> dict[str, Any]:
    """Checked and normalized address fields (without the default flags); 422 listing every problem."""
    unknown = set(values) - set(ADDRESS_FIELDS)
    errors: dict[str, str] = {name: "unknown field" for name in sorted(unknown)}
    cleaned: dict[str, Any] = {}
    for name, (required, max_length) in ADDRESS_TEXT.items():
        cleaned[name] = _text(errors, values, name, required, max_length)
    cleaned["phone"] = _phone(errors, values)
    country = cleaned["country"]
    if country is not None and "country" not in errors:
        country = cleaned["country"] = country.upper()
        if country not in COUNTRIES:
            errors["country"] = f"not a country we ship to; one of {', '.join(sorted(COUNTRIES))}"
        elif cleaned["postal_code"] is not None and "postal_code" not in errors:
            postal = normalize_postal_code(country, cleaned["postal_code"])
            if postal is None:
                errors["postal_code"] = f"not a valid postal code for {country} (e.g. {COUNTRIES[country].postal_example})"
            cleaned["postal_code"] = postal
    for flag in DEFAULT_FLAGS:
        if values.get(flag) is not None and not isinstance(values[flag], bool):
            errors[flag] = "must be true or false"
    if errors:
        raise validation_error(errors)
    return cleaned


def list_addresses(store: Store, customer_id: str) -> list[Address]:
    """The customer's addresses, oldest first."""
    return sorted(store.by_owner(ADDRESS, customer_id), key=lambda a: (a.created_at, a.id))


def default_address_ids(store: Store, customer_id: str) -> tuple[str | None, str | None]:
    """(default shipping address id, default billing address id)."""
    shipping = billing = None
    for address in store.by_owner(ADDRESS, customer_id):
        shipping = address.id if address.is_default_shipping else shipping
        billing = address.id if address.is_default_billing else billing
    return shipping, billing


def get_address(store: Store, customer_id: str, address_id: str) -> Address:
    """One of the customer's addresses; someone else's answers 404 exactly like an unknown id."""
    address = store.get(ADDRESS, address_id)
    if address is None or address.owner_id != customer_id:
        raise _address_not_found(address_id)
    return address


def _take_defaults(store: Store, address: Address, now: datetime) -> None:
    """Clear the flags `address` holds from the customer's other addresses (at most one of each)."""
    for other in store.by_owner(ADDRESS, address.owner_id):
        if other.id == address.id:
            continue
        clear = {flag: False for flag in DEFAULT_FLAGS if getattr(address, flag) and getattr(other, flag)}
        if clear:
            store.put(ADDRESS, dataclasses.replace(other, **clear, updated_at=now, version=other.version + 1))


def create_address(store: Store, clock: Clock, rules: CustomerRules, customer_id: str, values: Mapping[str, Any]) -> Address:
    """Add an address. While the customer has no default shipping (billing) address, the new one
    becomes it unless the request says `false`; `true` moves the default here."""
    cleaned = clean_address(values)
    now = clock.now()
    with store.atomic():
        existing = store.by_owner(ADDRESS, customer_id)
        if len(existing) >= rules.max_addresses:
            raise DomainError(
                409,
                "ADDRESS_LIMIT_REACHED",
                f"An address book holds at most {rules.max_addresses} addresses; delete one first.",
            )
        flags = {}
        for flag in DEFAULT_FLAGS:
            wanted = values.get(flag)
            flags[flag] = (not any(getattr(a, flag) for a in existing)) if wanted is None else wanted
        address = Address(id=store.new_id("adr"), owner_id=customer_id, **cleaned, **flags, created_at=now, updated_at=now)
        _take_defaults(store, address, now)
        store.put(ADDRESS, address)
    return address


def replace_address(
    store: Store,
    clock: Clock,
    customer_id: str,
    address_id: str,
    values: Mapping[str, Any],
    expected_version: int | None = None,
) -> Address:
    """Replace an address's fields. A default flag left out stays as it is; `false` clears it (no default then)."""
    cleaned = clean_address(values)
    now = clock.now()
    with store.atomic():
        current = get_address(store, customer_id, address_id)
        if expected_version is not None and current.version != expected_version:
            raise _stale(f"Address {address_id}", current.version)
        flags = {flag: values[flag] for flag in DEFAULT_FLAGS if values.get(flag) is not None}
        updated = dataclasses.replace(current, **cleaned, **flags, updated_at=now, version=current.version + 1)
        _take_defaults(store, updated, now)
        store.put(ADDRESS, updated)
    return updated


def delete_address(store: Store, clock: Clock, customer_id: str, address_id: str, expected_version: int | None = None) -> None:
    """Delete an address. A default passes to the most recently created remaining address, if any."""
    now = clock.now()
    with store.atomic():
        current = get_address(store, customer_id, address_id)
        if expected_version is not None and current.version != expected_version:
            raise _stale(f"Address {address_id}", current.version)
        store.delete(ADDRESS, address_id)
        promote = {flag: True for flag in DEFAULT_FLAGS if getattr(current, flag)}
        remaining = list_addresses(store, customer_id)
        if promote and remaining:
            heir = remaining[-1]
            store.put(ADDRESS, dataclasses.replace(heir, **promote, updated_at=now, version=heir.version + 1))


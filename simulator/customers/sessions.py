"""Bearer sessions: login opens one, its token authenticates every call until it
expires on the simulator clock, logout (or a password change) revokes it.

The raw token goes to the caller once; the store keeps only its digest. Sessions per
customer are bounded, so a load test logging in all day stays within memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from simulator.clock import Clock
from simulator.errors import REALM, DomainError, authentication_required, invalid_token
from simulator.store import ReadAhead, Store
from simulator.tokens import MAX_LENGTH as MAX_TOKEN_LENGTH
from simulator.tokens import new_token, token_digest

from . import lockout
from .model import AUTH_TOKEN, CUSTOMER, EMAIL_KEY, AuthToken, Customer, normalize_email
from .rules import CustomerRules

#: Open sessions per customer; past it the oldest is revoked.
MAX_SESSIONS = 100


@dataclass(frozen=True)
class Session:
    """A fresh login. `token` is the raw bearer token: handed to the caller once, never stored."""

    customer: Customer
    token: str
    expires_at: datetime


def invalid_credentials() -> DomainError:
    return DomainError(
        401,
        "INVALID_CREDENTIALS",
        "The email or the password is not correct.",
        headers={"WWW-Authenticate": f'Bearer realm="{REALM}"'},
    )


def login(store: Store, clock: Clock, rules: CustomerRules, email: str, password: str, client_address: str | None = None) -> Session:
    """A session for the right email and password. `client_address` (the caller's IP) is
    where failures count besides the email (`lockout`)."""
    email_key = normalize_email(email)
    entry = store.get(EMAIL_KEY, email_key)
    customer = store.get(CUSTOMER, entry.customer_id) if entry else None
    if not lockout.check_password(store, clock, rules, customer, email_key, password, lockout.address_key(client_address)):
        raise invalid_credentials()
    return open_session(store, clock, rules, customer)


def open_session(store: Store, clock: Clock, rules: CustomerRules, customer: Customer) -> Session:
    """A new session for a customer whose password was just checked (or set)."""
    raw = new_token()
    now = clock.now()
    record = AuthToken(token_digest(raw), customer.id, now, now + timedelta(seconds=rules.token_ttl_seconds))
    def open_it() -> None:
        lockout.still_the_password_checked(store, customer, invalid_credentials)
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

    store.transaction(open_it)
    return Session(customer, raw, record.expires_at)


def authenticate(store: Store, clock: Clock, raw_token: str | None) -> Customer:
    """The customer a bearer token belongs to; 401 when missing, unknown, revoked or expired."""
    if not raw_token:
        raise authentication_required("This call needs `Authorization: Bearer <token>` from login or registration.")
    if len(raw_token) > MAX_TOKEN_LENGTH:
        raise invalid_token("The bearer token is not valid.")
    digest = token_digest(raw_token)
    record = store.get(AUTH_TOKEN, digest)
    if record is None:
        raise invalid_token("The bearer token is not valid.")
    if record.expires_at <= clock.now():
        store.delete(AUTH_TOKEN, digest)
        raise invalid_token("The bearer token expired; log in again.")
    customer = store.get(CUSTOMER, record.owner_id)
    if customer is None:
        raise invalid_token("The bearer token is not valid.")
    return customer


def read_ahead(raw_token: str, owned: tuple[str, ...] = ()) -> ReadAhead | None:
    """What `authenticate` reads (the session, then its customer) and the records of `owned`
    kinds the customer owns, to be read ahead; None for a token it refuses unread."""
    if not raw_token or len(raw_token) > MAX_TOKEN_LENGTH:
        return None
    return ReadAhead(owner_of=(AUTH_TOKEN, token_digest(raw_token)), records=(CUSTOMER,), owned=owned)


def logout(store: Store, clock: Clock, raw_token: str | None) -> None:
    """Revoke the token (401 when it is not a live token)."""

    def revoke() -> None:  # a transaction: on a shared store its reads are the request's, checked as it commits
        authenticate(store, clock, raw_token)
        store.delete(AUTH_TOKEN, token_digest(raw_token))

    store.transaction(revoke)


def revoke_sessions(store: Store, customer_id: str, keep: str | None = None) -> int:
    """End every session of the customer but `keep` (a token digest); how many ended."""
    revoked = 0
    for token in store.by_owner(AUTH_TOKEN, customer_id):
        if token.id != keep:
            store.delete(AUTH_TOKEN, token.id)
            revoked += 1
    return revoked

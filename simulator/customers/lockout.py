"""Checking a password someone sends: brute-force lockout, the same cost for unknown
emails, and the re-check once the slow hash is done.

Failed checks are counted per email, known or not: five within fifteen minutes lock
it (429 until the oldest leaves the window). An unknown email is verified against a
dummy hash of the same cost, so the answer time tells nothing about which emails exist.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from simulator.clock import Clock
from simulator.errors import DomainError
from simulator.store import Store

from . import passwords
from .model import CUSTOMER, LOGIN_ATTEMPTS, Customer, LoginAttempts

#: Failed checks for one email within the window that lock it.
LOCKOUT_THRESHOLD = 5
LOCKOUT_WINDOW_SECONDS = 15 * 60


def check_password(store: Store, clock: Clock, hash_profile: str, customer: Customer | None, email_key: str, password: str) -> bool:
    """Lockout-guarded password check of `customer` (None: the email is unknown)."""
    _raise_if_locked(store, clock, email_key)  # a locked email is refused before any hashing
    if customer is None:
        passwords.verify_password(passwords.dummy_hash(hash_profile), password)
        succeeded = False
    else:
        succeeded = passwords.verify_password(customer.password_hash, password)
    _settle_attempt(store, clock, email_key, succeeded)
    return succeeded


def still_the_password_checked(store: Store, checked: Customer, refusal: Callable[[], DomainError]) -> Customer:
    """Under the store lock, after a slow password check: the customer as now, provided the
    password checked is still theirs. A change or reset that landed meanwhile wins, and the
    request that checked the old password is refused (its session would outlive the change)."""
    current = store.get(CUSTOMER, checked.id)
    if current is None or current.password_hash != checked.password_hash:
        raise refusal()
    return current


def clear_attempts(store: Store, email_key: str) -> None:
    store.delete(LOGIN_ATTEMPTS, email_key)


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
            clear_attempts(store, email_key)
        else:
            store.put(LOGIN_ATTEMPTS, LoginAttempts(email_key, (recent + (clock.timestamp(),))[-LOCKOUT_THRESHOLD:]))

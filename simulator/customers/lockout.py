"""Checking a password someone sends: brute-force lockout, the same cost for unknown
emails, and the re-check once the slow hash is done.

Failed checks are counted per email, known or not: five within fifteen minutes lock
it (429 until the oldest leaves the window). An unknown email is verified against a
dummy hash of the same cost, so the answer time tells nothing about which emails exist.

Failed logins are also counted per client address (IPv6 by its /64, what one host is
usually given): past `login_failures_per_address` within the window, logins from there
answer 429 before any hashing, whichever email they name, so made-up emails cannot
keep the worker hashing. A success clears its email's count, never its address's.

Failure records are bounded: one a window long per email and per address, swept once
the window has passed (`sweep_expired`), and past `max_login_failure_records` of a kind
the longest idle go first.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Callable

from simulator.clock import Clock
from simulator.errors import DomainError
from simulator.offload import cooperative_yield
from simulator.store import Store
from simulator.time_index import TimeIndex

from . import passwords
from .model import CUSTOMER, LOGIN_ADDRESS_ATTEMPTS, LOGIN_ATTEMPTS, Customer, LoginAttempts
from .rules import CustomerRules

#: Failed checks for one email within the window that lock it.
LOCKOUT_THRESHOLD = 5
LOCKOUT_WINDOW_SECONDS = 15 * 60
#: How often (real seconds) the background loop calls `sweep_expired`.
SWEEP_INTERVAL_SECONDS = 60


def _last_failure(record: LoginAttempts) -> float:
    return record.failures[-1]


EMAIL_AGES = TimeIndex(LOGIN_ATTEMPTS, "login_attempts.ages", _last_failure)
ADDRESS_AGES = TimeIndex(LOGIN_ADDRESS_ATTEMPTS, "login_address_attempts.ages", _last_failure)
IPV6_PREFIX = 64


def address_key(remote_addr: str | None) -> str | None:
    """What failures from a client are counted by: its address, an IPv6 one by its /64."""
    if not remote_addr:
        return None
    try:
        address = ipaddress.ip_address(remote_addr.strip())
    except ValueError:
        return remote_addr.strip()[:64] or None  # not an IP (a Unix socket, a test): counted as it is
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, IPV6_PREFIX), strict=False))
    return str(address)


def check_password(
    store: Store, clock: Clock, rules: CustomerRules, customer: Customer | None, email_key: str, password: str,
    client_address: str | None = None,
) -> bool:
    """Lockout-guarded password check of `customer` (None: the email is unknown); a login
    names the client's address (`address_key`), so its failures count there too."""
    _raise_if_locked(store, clock, rules, email_key, client_address)  # refused before any hashing
    if customer is None:
        passwords.verify_password(passwords.dummy_hash(rules.hash_profile), password)
        succeeded = False
    else:
        succeeded = passwords.verify_password(customer.password_hash, password)
    _settle_attempt(store, clock, rules, email_key, client_address, succeeded)
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
    record = store.get(LOGIN_ATTEMPTS, email_key)
    if record is not None:
        EMAIL_AGES.delete(store, record)


def sweep_expired(store: Store, clock: Clock) -> int:
    """Forget failure records whose window has passed; returns how many went."""
    before = clock.timestamp() - LOCKOUT_WINDOW_SECONDS
    return EMAIL_AGES.expire(store, before, pause=cooperative_yield) + ADDRESS_AGES.expire(store, before, pause=cooperative_yield)


def _recent(store: Store, kind: str, key: str, now: float) -> tuple[float, ...]:
    record = store.get(kind, key)
    return tuple(t for t in (record.failures if record else ()) if t > now - LOCKOUT_WINDOW_SECONDS)


def _too_many(detail: str, recent: tuple[float, ...], now: float) -> DomainError:
    return too_many_attempts(detail, recent[0] + LOCKOUT_WINDOW_SECONDS - now)


def too_many_attempts(detail: str, seconds_left: float) -> DomainError:
    """429 TOO_MANY_ATTEMPTS, retry after `seconds_left` (whole seconds, at least one)."""
    retry_after = max(1, math.ceil(seconds_left))
    return DomainError(
        429,
        "TOO_MANY_ATTEMPTS",
        f"{detail}; try again in {retry_after} seconds.",
        headers={"Retry-After": str(retry_after)},
        retry_after_seconds=retry_after,
    )


def _raise_if_locked(
    store: Store, clock: Clock, rules: CustomerRules, email_key: str, client_address: str | None,
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """429 when the email or the address has too many recent failures; otherwise those failures."""
    now = clock.timestamp()
    by_address = _recent(store, LOGIN_ADDRESS_ATTEMPTS, client_address, now) if client_address else ()
    if len(by_address) >= rules.login_failures_per_address:
        raise _too_many("Too many failed logins from this address", by_address[-rules.login_failures_per_address:], now)
    by_email = _recent(store, LOGIN_ATTEMPTS, email_key, now)
    if len(by_email) >= LOCKOUT_THRESHOLD:
        raise _too_many("Too many failed logins for this email", by_email, now)
    return by_email, by_address


def _settle_attempt(
    store: Store, clock: Clock, rules: CustomerRules, email_key: str, client_address: str | None, succeeded: bool,
) -> None:
    """Record a checked password in a store transaction: a failure counts, a success clears the email's count.

    The lock state is decided again here, after the slow hash: when parallel guesses
    pushed the email past the threshold meanwhile, this one answers 429 whatever the
    password was, so guesses beyond the threshold learn nothing. Correct passwords
    sent in parallel are not locked out by each other.
    """
    def settle() -> None:
        by_email, by_address = _raise_if_locked(store, clock, rules, email_key, client_address)
        if succeeded:
            clear_attempts(store, email_key)
            return
        now = clock.timestamp()
        _count_failure(store, EMAIL_AGES, email_key, by_email, now, LOCKOUT_THRESHOLD, rules.max_login_failure_records)
        if client_address:
            _count_failure(store, ADDRESS_AGES, client_address, by_address, now, rules.login_failures_per_address,
                           rules.max_login_failure_records)

    store.transaction(settle)


def _count_failure(store: Store, ages: TimeIndex, key: str, recent: tuple[float, ...], now: float, keep: int, cap: int) -> None:
    """One more failure on the record of `key` (its latest `keep` kept); past `cap` records
    of the kind, the longest idle go."""
    before = store.get(ages.kind, key)
    record = LoginAttempts(key, (recent + (now,))[-keep:])
    store.put(ages.kind, record)
    ages.replaced(store, before, record)
    ages.evict_beyond(store, cap)

"""Registrations counted per client address (`lockout.address_key`: IPv6 by its /64).

Past `registrations_per_address` accounts within the window, registering from there
answers 429 TOO_MANY_ATTEMPTS with Retry-After before any hashing and creates nothing:
a stranger on a shared host cannot grow the store without bound. The default is far
above what the load scenarios register from one host.

A fixed window per address (its start and a count), not a list of timestamps as the
login lockout keeps: a limit in the thousands would make that list as long. Records go
once their window has passed (`sweep_expired`), and past `max_login_failure_records`
the oldest windows go first.
"""

from __future__ import annotations

from simulator.clock import Clock
from simulator.offload import cooperative_yield
from simulator.store import Store
from simulator.time_index import TimeIndex

from .lockout import too_many_attempts
from .model import REGISTRATION_COUNT, RegistrationCount
from .rules import CustomerRules

WINDOW_SECONDS = 15 * 60

COUNTS = TimeIndex(REGISTRATION_COUNT, "registration_counts.ages", lambda record: record.window_start)


def check(store: Store, clock: Clock, rules: CustomerRules, client_address: str | None) -> RegistrationCount | None:
    """429 when `client_address` registered its limit within the window; otherwise its
    count in the current window (None: none yet, or no address to count by)."""
    if client_address is None:
        return None
    now = clock.timestamp()
    record = store.get(REGISTRATION_COUNT, client_address)
    if record is None or record.window_start + WINDOW_SECONDS <= now:
        return None
    if record.count >= rules.registrations_per_address:
        raise too_many_attempts("Too many accounts registered from this address", record.window_start + WINDOW_SECONDS - now)
    return record


def count(store: Store, clock: Clock, rules: CustomerRules, client_address: str | None) -> None:
    """One more registration from `client_address`; the caller holds the store lock and
    creates the account only when this does not raise (parallel requests re-checked)."""
    if client_address is None:
        return
    with store.atomic():
        before = store.get(REGISTRATION_COUNT, client_address)
        current = check(store, clock, rules, client_address)
        after = (RegistrationCount(client_address, current.window_start, current.count + 1) if current
                 else RegistrationCount(client_address, clock.timestamp(), 1))
        store.put(REGISTRATION_COUNT, after)
        COUNTS.replaced(store, before, after)
        COUNTS.evict_beyond(store, rules.max_login_failure_records)


def sweep_expired(store: Store, clock: Clock) -> int:
    """Forget counts whose window has passed; returns how many went."""
    return COUNTS.expire(store, clock.timestamp() - WINDOW_SECONDS, pause=cooperative_yield)

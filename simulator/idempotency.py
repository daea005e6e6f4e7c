"""`Idempotency-Key`: a retried POST does its work once.

The same key with the same body answers the first result again; the same key with
another body answers 422 `IDEMPOTENCY_KEY_REUSED`; a duplicate that arrives while
the first is still running answers 409 `IDEMPOTENCY_KEY_IN_USE` (with `Retry-After`)
instead of running twice. Plain Python over the store: a per-key record is claimed
in a `store.transaction`, then the work runs outside it (it may be slow, as password
hashing is), so other requests are never stalled behind it.

A failed attempt (the action raised) releases the key, so the client may retry.
What is kept as the result is up to the caller: keep an id and re-render it rather
than a response that holds a secret (a bearer token must never sit in the store).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, TypeVar

from simulator.clock import Clock
from simulator.errors import DomainError, validation_error
from simulator.offload import cooperative_yield
from simulator.store import Store
from simulator.time_index import TimeIndex

T = TypeVar("T")

IDEMPOTENCY = "idempotency_key"
HEADER = "Idempotency-Key"
KEY_MAX_LENGTH = 255
DEFAULT_TTL_SECONDS = 24 * 3600
#: How often (real seconds) the background loop calls `sweep_expired`.
SWEEP_INTERVAL_SECONDS = 60


class KeyState(StrEnum):
    PENDING = "pending"  # claimed: the first request is still at work
    DONE = "done"  # its result is kept until the record expires


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    id: str  # sha256 of scope and key
    scope: str  # e.g. "customers.register", "orders.place:cus_…"
    fingerprint: str  # of the request body, from `fingerprint()`
    state: KeyState
    result: Any  # what the action returned; None while pending
    created_at: float  # simulated timestamps
    expires_at: float
    version: int = 1


@dataclass(frozen=True)
class Outcome(Generic[T]):
    result: T
    replayed: bool  # True when this is the stored result of an earlier request


def _expiry(record: IdempotencyRecord) -> float | None:
    return record.expires_at if record.state == KeyState.DONE else None  # a running one never expires


#: Finished records by their expiry: a background pass reads only those past their time,
#: 500 (well under a millisecond) between pauses.
EXPIRY = TimeIndex(IDEMPOTENCY, "idempotency.expiry", _expiry, batch=500)


def fingerprint(payload: Any) -> str:
    """A stable digest of a parsed request body (key order does not matter)."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_key(key: str) -> str:
    """The key, or 422 when it is not 1 to 255 visible ASCII characters."""
    if not (1 <= len(key) <= KEY_MAX_LENGTH) or not all("!" <= ch <= "~" for ch in key):
        raise validation_error({HEADER: f"1 to {KEY_MAX_LENGTH} visible ASCII characters"})
    return key


def key_reused() -> DomainError:
    return DomainError(
        422,
        "IDEMPOTENCY_KEY_REUSED",
        f"This {HEADER} was already used with another request body; use a new key for a new request.",
    )


def run(
    store: Store,
    clock: Clock,
    scope: str,
    key: str | None,
    body_fingerprint: str,
    action: Callable[[], T],
    ttl_seconds: int = DEFAULT_TTL_SECONDS,
) -> Outcome[T]:
    """Run `action` once per (scope, key); a repeat with the same fingerprint gets its result back."""
    if key is None:
        return Outcome(action(), False)
    key = check_key(key)
    record_id = hashlib.sha256(f"{scope}\0{key}".encode()).hexdigest()
    now = clock.timestamp()
    claim = IdempotencyRecord(record_id, scope, body_fingerprint, KeyState.PENDING, None, now, now + ttl_seconds)

    def claim_it() -> Outcome[T] | None:
        """The kept outcome of an earlier request with the key, or None once this one claimed it."""
        current = store.get(IDEMPOTENCY, record_id)
        if _expired(current, now):
            EXPIRY.delete(store, current)  # a finished one may expire; a running one never does
            current = None
        if current is not None:
            if current.fingerprint != body_fingerprint:
                raise key_reused()
            if current.state == KeyState.PENDING:
                raise DomainError(
                    409,
                    "IDEMPOTENCY_KEY_IN_USE",
                    f"A request with this {HEADER} is still being processed; retry shortly.",
                    headers={"Retry-After": "1"},
                )
            return Outcome(current.result, True)
        store.put(IDEMPOTENCY, claim)
        return None

    def release() -> None:
        if store.get(IDEMPOTENCY, record_id) == claim:  # ==, not `is`: a shared store returns copies
            store.delete(IDEMPOTENCY, record_id)

    def keep(result: T) -> None:
        if store.get(IDEMPOTENCY, record_id) == claim:
            done = dataclasses.replace(claim, state=KeyState.DONE, result=result)
            store.put(IDEMPOTENCY, done)
            EXPIRY.added(store, done)

    earlier = store.transaction(claim_it)
    if earlier is not None:
        return earlier
    try:
        result = action()
    except BaseException:
        store.transaction(release)
        raise
    store.transaction(lambda: keep(result))
    return Outcome(result, False)


def _expired(record: IdempotencyRecord | None, now: float) -> bool:
    return record is not None and record.state == KeyState.DONE and record.expires_at <= now


def sweep_expired(store: Store, now: float) -> int:
    """Forget finished records past their time (a running one never expires), so keys sent
    once (every order a load test places) do not pile up for the life of the process: only
    the expired are read, a batch at a time, with a pause between batches. Returns how many went.

    The background loop calls it every SWEEP_INTERVAL_SECONDS; `run` needs no sweep to be
    right, as it treats an expired record of its own key as absent.
    """
    return EXPIRY.walk_due(store, now, lambda record: EXPIRY.delete(store, record), cooperative_yield)


def header_key(headers: Mapping[str, str]) -> str | None:
    """The Idempotency-Key of a request's headers, or None."""
    value = headers.get(HEADER)
    return None if value is None else value.strip()

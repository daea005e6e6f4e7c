"""Changing a versioned record: one atomic read-check-write that bumps `version` and
`updated_at`, with the contract's answers for an unknown id (404) and a stale
`If-Match` (412). Baskets, checkouts and orders all change this way; `stale` is the
one 412 answer of every resource with an If-Match."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from .errors import DomainError
from .store import RecordNotFound, Store, VersionConflict

T = TypeVar("T")


STALE_CODE = "VERSION_MISMATCH"


def stale(what: str, current_version: int | None = None) -> DomainError:
    """The one 412 answer: `If-Match` names a version `what` is not at, and nothing changed.

    The body carries `current_version` whenever it is known, so a client can tell how far
    behind it is; an If-Match no version could ever match (not an ETag this backend
    issues) is refused before any record is read, so there is none to tell.
    """
    if current_version is None:
        return DomainError(412, STALE_CODE, f"If-Match must be an ETag this backend issued for {what}.")
    return DomainError(
        412, STALE_CODE, f"{what} changed; it is at version {current_version} now.", current_version=current_version,
    )


def change(
    store: Store,
    kind: str,
    record_id: str,
    edit: Callable[[T], T],
    *,
    now: datetime,
    expected_version: int | None,
    missing: Callable[[], DomainError],
    label: str,
    seen: T | None = None,
    also: Callable[[T, T], object] | None = None,
) -> T:
    """Apply `edit` to the current record; nothing is written if it raises. `seen` and
    `also`: as `Store.update` takes them (the record as read, writes that move with it)."""

    def apply(current: T) -> T:
        return dataclasses.replace(edit(current), updated_at=now, version=current.version + 1)

    try:
        return store.update(kind, record_id, apply, expected_version, seen=seen, also=also)
    except RecordNotFound:
        raise missing() from None
    except VersionConflict as conflict:
        raise stale(f"The {label}", conflict.actual) from None

"""Changing a versioned record: one atomic read-check-write that bumps `version` and
`updated_at`, with the contract's answers for an unknown id (404) and a stale
`If-Match` (412). Baskets, checkouts and orders all change this way."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Callable, TypeVar

from .errors import DomainError
from .store import RecordNotFound, Store, VersionConflict

T = TypeVar("T")


def stale(label: str, version: int) -> DomainError:
    return DomainError(412, "VERSION_MISMATCH", f"The {label} changed; it is at version {version} now.")


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
) -> T:
    """Apply `edit` to the current record; nothing is written if it raises."""

    def apply(current: T) -> T:
        return dataclasses.replace(edit(current), updated_at=now, version=current.version + 1)

    try:
        return store.update(kind, record_id, apply, expected_version)
    except RecordNotFound:
        raise missing() from None
    except VersionConflict as conflict:
        raise stale(label, conflict.actual) from None

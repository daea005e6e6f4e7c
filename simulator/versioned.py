"""Changing a versioned record: one atomic read-check-write that bumps `version` and
`updated_at`, with the contract's answers for an unknown id (404) and a stale
`If-Match` (412). Baskets, checkouts and orders all change this way; `stale` is the
one 412 answer of every resource with an If-Match."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime
from operator import attrgetter
from typing import Any, TypeVar

from .errors import DomainError
from .store import RecordNotFound, Store, VersionConflict

T = TypeVar("T")


STALE_CODE = "VERSION_MISMATCH"

#: record class → (its fields' values as a tuple, field name → place), or None where
#: `dataclasses.replace` must do it (a field outside __init__ or keyword-only, or a __post_init__)
_layouts: dict[type, tuple[Callable[[Any], tuple], dict[str, int]] | None] = {}


def replace(record: T, **changes: Any) -> T:
    """`dataclasses.replace(record, **changes)`, for the immutable records changes make: the
    class's fields are looked at once, not on every call (a basket add replaces three)."""
    cls = type(record)
    layout = _layouts.get(cls, False)
    if layout is False:
        fields = dataclasses.fields(cls)
        plain = len(fields) > 1 and all(f.init and not f.kw_only for f in fields) and not hasattr(cls, "__post_init__")
        names = [f.name for f in fields]
        layout = _layouts[cls] = (attrgetter(*names), {name: n for n, name in enumerate(names)}) if plain else None
    if layout is None:
        return dataclasses.replace(record, **changes)
    values_of, place = layout
    values = list(values_of(record))
    for name, value in changes.items():
        values[place[name]] = value
    return cls(*values)


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
        return replace(edit(current), updated_at=now, version=current.version + 1)

    try:
        return store.update(kind, record_id, apply, expected_version, seen=seen, also=also)
    except RecordNotFound:
        raise missing() from None
    except VersionConflict as conflict:
        raise stale(f"The {label}", conflict.actual) from None

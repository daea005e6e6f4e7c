"""The address book: each customer's addresses, with one default shipping and one
default billing address at most.

The fields arrive as `AddressWriteSchema` loads them (trimmed, sized, the phone
checked). What is checked here needs more than one field: the country must be one
the shop ships to, and the postal code valid there (then kept in its canonical form).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from simulator import versioned
from simulator.clock import Clock
from simulator.errors import DomainError, not_found, validation_error
from simulator.store import Store

from .countries import COUNTRIES, normalize_postal_code
from .model import ADDRESS, Address
from .rules import CustomerRules

#: The fields of a postal address, as an address book entry and a checkout snapshot hold them.
POSTAL_FIELDS = ("first_name", "last_name", "company", "line1", "line2", "postal_code", "city", "region", "country", "phone")
DEFAULT_FLAGS = ("is_default_shipping", "is_default_billing")


def postal_address(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The postal fields of `fields` with the country's rules applied: the country upper
    case and one we ship to, the postal code valid there and in its canonical form; 422 otherwise."""
    address = {name: fields.get(name) for name in POSTAL_FIELDS}
    country = address["country"] = address["country"].upper()
    if country not in COUNTRIES:
        raise validation_error({"country": f"not a country we ship to; one of {', '.join(sorted(COUNTRIES))}"})
    postal = normalize_postal_code(country, address["postal_code"])
    if postal is None:
        raise validation_error({"postal_code": f"not a valid postal code for {country} (e.g. {COUNTRIES[country].postal_example})"})
    address["postal_code"] = postal
    return address


def _address_not_found(address_id: str) -> DomainError:
    return not_found("ADDRESS_NOT_FOUND", f"There is no address {address_id} in your address book.")


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


def create_address(store: Store, clock: Clock, rules: CustomerRules, customer_id: str, fields: Mapping[str, Any]) -> Address:
    """Add an address. While the customer has no default shipping (billing) address, the new one
    becomes it unless the request says `false`; `true` moves the default here."""
    postal = postal_address(fields)
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
            wanted = fields.get(flag)
            flags[flag] = (not any(getattr(a, flag) for a in existing)) if wanted is None else wanted
        address = Address(id=store.new_id("adr"), owner_id=customer_id, **postal, **flags, created_at=now, updated_at=now)
        _take_defaults(store, address, now)
        store.put(ADDRESS, address)
    return address


def replace_address(
    store: Store,
    clock: Clock,
    customer_id: str,
    address_id: str,
    fields: Mapping[str, Any],
    expected_version: int | None = None,
) -> Address:
    """Replace an address's fields. A default flag left out stays as it is; `false` clears it (no default then)."""
    postal = postal_address(fields)
    now = clock.now()
    with store.atomic():
        current = get_address(store, customer_id, address_id)
        if expected_version is not None and current.version != expected_version:
            raise versioned.stale(f"address {address_id}", current.version)
        flags = {flag: fields[flag] for flag in DEFAULT_FLAGS if fields.get(flag) is not None}
        updated = dataclasses.replace(current, **postal, **flags, updated_at=now, version=current.version + 1)
        _take_defaults(store, updated, now)
        store.put(ADDRESS, updated)
    return updated


def delete_address(store: Store, clock: Clock, customer_id: str, address_id: str, expected_version: int | None = None) -> None:
    """Delete an address. A default passes to the most recently created remaining address, if any."""
    now = clock.now()
    with store.atomic():
        current = get_address(store, customer_id, address_id)
        if expected_version is not None and current.version != expected_version:
            raise versioned.stale(f"address {address_id}", current.version)
        store.delete(ADDRESS, address_id)
        promote = {flag: True for flag in DEFAULT_FLAGS if getattr(current, flag)}
        remaining = list_addresses(store, customer_id)
        if promote and remaining:
            heir = remaining[-1]
            store.put(ADDRESS, dataclasses.replace(heir, **promote, updated_at=now, version=heir.version + 1))

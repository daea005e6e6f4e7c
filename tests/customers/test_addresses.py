"""The address book as plain Python: the country's rules, default addresses, versions."""

from __future__ import annotations

from datetime import timedelta

import pytest

from simulator.customers import addresses
from simulator.customers.model import ADDRESS
from simulator.errors import DomainError
from tests.helpers.accounts import address, code_of, signup


@pytest.fixture
def customer_id(store, clock, rules):
    return signup(store, clock, rules, "ada@example.org").customer.id


def test_the_country_is_upper_case_and_the_postal_code_canonical(store, clock, rules, customer_id):
    created = addresses.create_address(store, clock, rules, customer_id, address(country="nl", postal_code="1012ab", line1="Damrak 1"))
    assert (created.country, created.postal_code, created.line1) == ("NL", "1012 AB", "Damrak 1")
    assert created.id.startswith("adr_") and created.version == 1


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"country": "XX"}, "country"),
        ({"country": "DEU"}, "country"),
        ({"country": "US", "postal_code": "10001"}, "country"),
        ({"postal_code": "1234"}, "postal_code"),
        ({"country": "GB", "postal_code": "12345"}, "postal_code"),
        ({"country": "NL", "postal_code": "0123 AB"}, "postal_code"),
        ({"country": "PL", "postal_code": "00001"}, "postal_code"),
    ],
)
def test_a_country_we_do_not_ship_to_or_a_postal_code_not_valid_there_is_refused(store, clock, rules, customer_id, fields, field):
    for write in (
        lambda: addresses.create_address(store, clock, rules, customer_id, address(**fields)),
        lambda: addresses.postal_address(address(**fields)),  # checkout's inline addresses
    ):
        with pytest.raises(DomainError) as caught:
            write()
        assert code_of(caught) == (422, "VALIDATION_FAILED")
        assert set(caught.value.errors) == {field}
    assert store.by_owner(ADDRESS, customer_id) == []


def _flags(store, customer_id):
    return {a.id: (a.is_default_shipping, a.is_default_billing) for a in store.by_owner(ADDRESS, customer_id)}


def test_the_first_address_becomes_both_defaults_and_later_ones_do_not(store, clock, rules, customer_id):
    first = addresses.create_address(store, clock, rules, customer_id, address())
    second = addresses.create_address(store, clock, rules, customer_id, address(city="Hamburg", postal_code="20095"))
    assert _flags(store, customer_id) == {first.id: (True, True), second.id: (False, False)}
    assert addresses.default_address_ids(store, customer_id) == (first.id, first.id)


def test_an_explicit_false_keeps_even_the_first_address_out_of_the_defaults(store, clock, rules, customer_id):
    only = addresses.create_address(store, clock, rules, customer_id, address(is_default_billing=False))
    assert _flags(store, customer_id) == {only.id: (True, False)}


def test_a_new_default_clears_the_old_one(store, clock, rules, customer_id):
    first = addresses.create_address(store, clock, rules, customer_id, address())
    second = addresses.create_address(store, clock, rules, customer_id, address(is_default_shipping=True))
    assert _flags(store, customer_id) == {first.id: (False, True), second.id: (True, False)}
    assert store.get(ADDRESS, first.id).version == 2  # the cleared one changed too
    third = addresses.replace_address(store, clock, customer_id, first.id, address(is_default_shipping=True), 2)
    assert _flags(store, customer_id) == {first.id: (True, True), second.id: (False, False)}
    assert third.version == 3


def test_replace_keeps_flags_left_out_and_clears_flags_set_false(store, clock, rules, customer_id):
    first = addresses.create_address(store, clock, rules, customer_id, address())
    kept = addresses.replace_address(store, clock, customer_id, first.id, address(city="Potsdam", postal_code="14467"))
    assert (kept.city, kept.is_default_shipping, kept.is_default_billing) == ("Potsdam", True, True)
    cleared = addresses.replace_address(store, clock, customer_id, first.id, address(is_default_billing=False))
    assert (cleared.is_default_shipping, cleared.is_default_billing) == (True, False)
    assert addresses.default_address_ids(store, customer_id) == (first.id, None)


def test_deleting_a_default_promotes_the_newest_remaining_address_or_none(store, clock, rules, customer_id):
    first = addresses.create_address(store, clock, rules, customer_id, address())
    clock.advance(timedelta(seconds=1))
    second = addresses.create_address(store, clock, rules, customer_id, address(city="Köln", postal_code="50667"))
    clock.advance(timedelta(seconds=1))
    third = addresses.create_address(store, clock, rules, customer_id, address(city="Bonn", postal_code="53111"))
    addresses.delete_address(store, clock, customer_id, first.id)
    assert _flags(store, customer_id) == {second.id: (False, False), third.id: (True, True)}
    addresses.delete_address(store, clock, customer_id, second.id)  # not a default: nothing moves
    assert _flags(store, customer_id) == {third.id: (True, True)}
    addresses.delete_address(store, clock, customer_id, third.id)
    assert addresses.default_address_ids(store, customer_id) == (None, None)


def test_the_address_book_has_a_limit(store, clock, rules, customer_id):
    for _ in range(rules.max_addresses):
        addresses.create_address(store, clock, rules, customer_id, address())
    with pytest.raises(DomainError) as caught:
        addresses.create_address(store, clock, rules, customer_id, address())
    assert code_of(caught) == (409, "ADDRESS_LIMIT_REACHED")
    assert len(store.by_owner(ADDRESS, customer_id)) == rules.max_addresses


def test_stale_versions_change_nothing(store, clock, rules, customer_id):
    first = addresses.create_address(store, clock, rules, customer_id, address())
    addresses.replace_address(store, clock, customer_id, first.id, address(city="Potsdam", postal_code="14467"), 1)
    current = store.get(ADDRESS, first.id)
    for action in (
        lambda: addresses.replace_address(store, clock, customer_id, first.id, address(), 1),
        lambda: addresses.delete_address(store, clock, customer_id, first.id, 1),
    ):
        with pytest.raises(DomainError) as caught:
            action()
        assert code_of(caught) == (412, "VERSION_MISMATCH")
        assert store.get(ADDRESS, first.id) == current
    addresses.delete_address(store, clock, customer_id, first.id, 2)
    assert store.get(ADDRESS, first.id) is None


def test_another_customers_address_is_not_found(store, clock, rules, customer_id):
    other = signup(store, clock, rules, "bob@example.org").customer.id
    theirs = addresses.create_address(store, clock, rules, other, address())
    for action in (
        lambda: addresses.get_address(store, customer_id, theirs.id),
        lambda: addresses.replace_address(store, clock, customer_id, theirs.id, address()),
        lambda: addresses.delete_address(store, clock, customer_id, theirs.id),
    ):
        with pytest.raises(DomainError) as caught:
            action()
        assert code_of(caught) == (404, "ADDRESS_NOT_FOUND")
    assert store.get(ADDRESS, theirs.id) == theirs

"""The seeded customers: deterministic, valid, realistic, fast, one password hash for all."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from simulator.customers import addresses, passwords
from simulator.customers.model import ADDRESS, CUSTOMER, EMAIL_KEY, normalize_email
from simulator.customers.schemas import PostalAddressSchema
from simulator.customers.serialize import address_to_dict, customer_to_dict
from simulator.seed import customers as seeding
from simulator.seed.customers import DEMO_EMAIL, SEEDED_PASSWORD, seed_customers, seeded_email
from simulator.store import InMemoryStore


def seeded(seed: int, count: int, profile: str = "fast") -> InMemoryStore:
    store = InMemoryStore(seed)
    seed_customers(store, count, profile)
    return store


def snapshot(store: InMemoryStore) -> tuple:
    return (
        [(customer_to_dict(c, (None, None)), c.password_hash) for c in store.values(CUSTOMER)],
        [address_to_dict(a) | {"owner": a.owner_id} for a in store.values(ADDRESS)],
        store.values(EMAIL_KEY),
    )


def test_same_seed_same_customers_byte_for_byte():
    assert snapshot(seeded(42, 300)) == snapshot(seeded(42, 300))


def test_another_seed_other_customers():
    assert snapshot(seeded(42, 50)) != snapshot(seeded(43, 50))


def test_count_logins_and_the_demo_account():
    store = seeded(5, 200)
    assert store.count(CUSTOMER) == 201 and store.count(EMAIL_KEY) == 201
    emails = {c.email for c in store.values(CUSTOMER)}
    assert emails == {DEMO_EMAIL} | {seeded_email(n) for n in range(1, 201)}
    for customer in store.values(CUSTOMER):
        assert store.get(EMAIL_KEY, normalize_email(customer.email)).customer_id == customer.id
        assert customer.id.startswith("cus_")


def test_every_customer_has_one_to_three_valid_addresses_and_one_default_of_each_kind():
    store = seeded(7, 400)
    sizes = Counter()
    for customer in store.values(CUSTOMER):
        owned = store.by_owner(ADDRESS, customer.id)
        sizes[len(owned)] += 1
        assert 1 <= len(owned) <= 3
        assert sum(a.is_default_shipping for a in owned) == 1 and sum(a.is_default_billing for a in owned) == 1
        for address in owned:
            # Valid by construction: the schema and the country's rules that a customer's own address meets.
            fields = {k: v for k, v in address_to_dict(address).items() if k in addresses.POSTAL_FIELDS}
            assert addresses.postal_address(PostalAddressSchema().load(fields)) == fields, address
    assert set(sizes) == {1, 2, 3}


def test_names_and_addresses_are_spread_over_the_shops_countries():
    store = seeded(11, 2000)
    countries = Counter(a.country for a in store.values(ADDRESS))
    assert countries.most_common(1)[0][0] == "DE"
    assert len(countries) >= 12
    assert len({c.last_name for c in store.values(CUSTOMER)}) > 300
    assert any("ß" in a.line1 or "ü" in a.line1 or "é" in a.line1 for a in store.values(ADDRESS))


def test_the_seeded_password_is_hashed_once_and_works_for_every_account(monkeypatch):
    calls = []
    real = passwords.hash_password_with_salt
    monkeypatch.setattr(passwords, "hash_password_with_salt", lambda *args: calls.append(args) or real(*args))
    store = seeded(3, 500, "secure")
    assert len(calls) == 1
    hashes = {c.password_hash for c in store.values(CUSTOMER)}
    assert len(hashes) == 1
    [shared] = hashes
    assert shared.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert passwords.verify_password(shared, SEEDED_PASSWORD)


def test_the_demo_account_has_a_shipping_and_a_separate_billing_address():
    store = seeded(42, 0)
    [demo] = store.values(CUSTOMER)
    assert demo.email == DEMO_EMAIL
    shipping, billing = addresses.default_address_ids(store, demo.id)
    assert shipping and billing and shipping != billing


@pytest.mark.parametrize("profile", ["fast", "secure"])
def test_ten_thousand_customers_seed_in_about_a_second(profile):
    seeded(1, 50, profile)  # Faker's locale modules are imported once per process: not part of the figure
    started = time.perf_counter()
    store = seeded(2, 10_000, profile)
    elapsed = time.perf_counter() - started
    assert store.count(CUSTOMER) == 10_001
    assert elapsed < 2.0, f"seeding 10,000 customers took {elapsed:.2f} s"


def test_locale_pools_hold_only_valid_postal_codes():
    for pool in seeding.locale_pools(9, size=30):
        assert pool.places and pool.first_names and pool.last_names and pool.streets
        for postal, _city in pool.places:
            assert seeding.normalize_postal_code(pool.country, postal) == postal

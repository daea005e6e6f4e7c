"""Registrations counted per client address: past the limit within the window, 429
TOO_MANY_ATTEMPTS with Retry-After, nothing created, until the window has passed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from simulator.customers import accounts, passwords, signup_limit
from simulator.customers.model import CUSTOMER, EMAIL_KEY, REGISTRATION_COUNT
from simulator.customers.rules import CustomerRules
from simulator.errors import DomainError
from simulator.mail.outbox import MAIL
from tests.helpers.accounts import code_of, registration

RULES = CustomerRules(hash_profile="fast", registrations_per_address=3)
HOST = "203.0.113.9"


def register_from(store, clock, address, email=None, rules=RULES):
    return accounts.register(store, clock, rules, registration(email), client_address=address)[0]


def test_past_the_limit_registering_from_the_address_answers_429_and_creates_nothing(store, clock, monkeypatch):
    for _ in range(3):
        register_from(store, clock, HOST)
        clock.advance(timedelta(minutes=1))
    customers, mails = store.count(CUSTOMER), store.count(MAIL)
    hashed = []
    monkeypatch.setattr(passwords, "hash_password", lambda *args: hashed.append(args))
    with pytest.raises(DomainError) as caught:
        register_from(store, clock, HOST, "late@example.org")
    assert code_of(caught) == (429, "TOO_MANY_ATTEMPTS") and "address" in caught.value.detail
    assert caught.value.headers["Retry-After"] == str(15 * 60 - 3 * 60)  # the window started with the first
    assert hashed == [] and store.count(CUSTOMER) == customers and store.count(MAIL) == mails  # refused before any work
    assert store.get(EMAIL_KEY, "late@example.org") is None
    monkeypatch.undo()
    register_from(store, clock, "198.51.100.7")  # another address is not limited
    register_from(store, clock, None)  # nor a service call without one
    register_from(store, clock, "2001:db8::1")
    with pytest.raises(DomainError):  # IPv6 counts by its /64, as the login lockout does
        register_from(store, clock, "2001:db8::2", rules=CustomerRules(hash_profile="fast", registrations_per_address=1))


def test_the_count_starts_over_once_the_window_has_passed(store, clock):
    for _ in range(3):
        register_from(store, clock, HOST)
    clock.advance(timedelta(minutes=15) - timedelta(seconds=1))
    with pytest.raises(DomainError) as caught:
        register_from(store, clock, HOST)
    assert caught.value.headers["Retry-After"] == "1"
    clock.advance(timedelta(seconds=1))
    for _ in range(3):
        register_from(store, clock, HOST)
    assert store.get(REGISTRATION_COUNT, HOST).count == 3


def test_a_count_is_forgotten_once_its_window_has_passed(store, clock):
    register_from(store, clock, HOST)
    register_from(store, clock, "198.51.100.7")
    clock.advance(timedelta(minutes=15))
    assert signup_limit.sweep_expired(store, clock) == 0  # just still in its window
    clock.advance(timedelta(seconds=1))
    assert signup_limit.sweep_expired(store, clock) == 2
    assert store.count(REGISTRATION_COUNT) == 0 and signup_limit.COUNTS.size(store) == 0


def test_past_the_cap_the_oldest_counts_go(store, clock):
    rules = CustomerRules(hash_profile="fast", registrations_per_address=3, max_login_failure_records=2)
    for number in range(4):
        register_from(store, clock, f"198.51.100.{number}", rules=rules)
        clock.advance(timedelta(seconds=1))
    assert sorted(record.id for record in store.values(REGISTRATION_COUNT)) == ["198.51.100.2", "198.51.100.3"]


def test_the_registration_route_counts_the_callers_address(make_app):
    client = make_app(registrations_per_address=2).test_client()

    def register_from_route(address):
        return client.post("/api/v1/customers", json=registration(), environ_base={"REMOTE_ADDR": address})

    assert [register_from_route(HOST).status_code for _ in range(2)] == [201, 201]
    refused = register_from_route(HOST)
    assert refused.status_code == 429 and refused.mimetype == "application/problem+json"
    assert refused.get_json()["code"] == "TOO_MANY_ATTEMPTS" and 0 < int(refused.headers["Retry-After"]) <= 15 * 60
    assert register_from_route("198.51.100.7").status_code == 201

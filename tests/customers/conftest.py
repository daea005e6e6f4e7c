"""Customer fixtures: a small app at the cheap hash cost, and helpers to register and log in,
over HTTP or through the services."""

from __future__ import annotations

import itertools

import pytest

from simulator import create_app
from simulator.clock import Clock
from simulator.customers import accounts
from simulator.customers.rules import CustomerRules
from simulator.mail import outbox
from simulator.store import InMemoryStore
from simulator.http.blueprints import EXTENSION

SMALL_CUSTOMERS = {
    "products": 20,
    "churn_per_minute": 0,
    "log_level": "warning",
    "customers": 12,
    "password_hash_profile": "fast",
}
PASSWORD = "correct horse battery"
_numbers = itertools.count(1)


@pytest.fixture
def app():
    return create_app(SMALL_CUSTOMERS)


@pytest.fixture
def sim(app):
    return app.extensions[EXTENSION]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def frozen(sim):
    sim.clock.freeze()
    return sim.clock


@pytest.fixture
def store():
    return InMemoryStore(7)


@pytest.fixture
def clock():
    clock = Clock()
    clock.freeze()
    return clock


@pytest.fixture
def rules():
    return CustomerRules(hash_profile="fast", max_addresses=4, base_url="http://shop.test")


def registration(email: str | None = None, **overrides) -> dict:
    body = {
        "email": email or f"person{next(_numbers)}@example.org",
        "password": PASSWORD,
        "first_name": "Ada",
        "last_name": "Lovelace",
    }
    body.update(overrides)
    return body


def register(client, email: str | None = None, **overrides) -> tuple[str, dict]:
    """Register through HTTP; (token, customer)."""
    response = client.post("/api/v1/customers", json=registration(email, **overrides))
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    return body["token"], body["customer"]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def address(**overrides) -> dict:
    body = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "line1": "Unter den Linden 77",
        "postal_code": "10117",
        "city": "Berlin",
        "country": "DE",
    }
    body.update(overrides)
    return body


def signup(store, clock, rules, email: str | None = None, **overrides):
    """Register through the service (fields as RegisterSchema loads them); the new session."""
    session, replayed = accounts.register(store, clock, rules, registration(email, **overrides))
    assert not replayed
    return session


def code_of(caught) -> tuple[int, str]:
    """(status, code) of a DomainError caught by pytest.raises."""
    return caught.value.status, caught.value.code


def mails_to(store, recipient, template=None):
    mails, _total = outbox.list_mails(store, recipient, 1, 100)
    return [m for m in mails if template is None or m.template == template]

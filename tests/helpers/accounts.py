"""Customers for tests: registration bodies, registering over HTTP or through the services,
bearer headers, addresses, and reading what a service refused."""

from __future__ import annotations

import itertools

from simulator.customers import accounts
from simulator.mail import outbox

PASSWORD = "correct horse battery"
_numbers = itertools.count(1)


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

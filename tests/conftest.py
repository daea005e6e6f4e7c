"""Shared fixtures: a small seeded app, its client, its runtime, a frozen clock."""

from __future__ import annotations

import pytest

from simulator import create_app
from simulator.http.blueprints import EXTENSION

SMALL = {"products": 200, "customers": 50, "password_hash_profile": "fast", "churn_per_minute": 0, "log_level": "warning"}


@pytest.fixture
def app():
    return create_app(SMALL)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def sim(app):
    """The app's Runtime: settings, clock and store."""
    return app.extensions[EXTENSION]


@pytest.fixture
def frozen(sim):
    """The simulator clock, frozen so that tests decide when time moves."""
    sim.clock.freeze()
    return sim.clock


def assert_problem(response, status: int, code: str | None = None) -> dict:
    """The answer is problem+json with this status (and code)."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert body["status"] == status
    assert body["code"] and body["code"] == body["code"].upper()
    assert {"type", "title", "detail"} <= set(body)
    if code is not None:
        assert body["code"] == code, body
    return body


@pytest.fixture
def shopper(client):
    """A freshly registered customer, driven through the HTTP API."""
    from tests.shopping import Shopper, register

    return Shopper(client, register(client))


@pytest.fixture
def products(sim):
    from tests.shopping import affordable_products

    return affordable_products(sim.store)

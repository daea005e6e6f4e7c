"""The fixtures every test folder shares: an app factory, a small seeded app, its client,
its runtime and a frozen clock, a shopper, and bare store, clock and customer rules for
service tests; and the OpenAPI check of every answer (tests/helpers/contract.py). Helpers
that are not fixtures live in tests/helpers/."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from simulator import create_app
from simulator.clock import Clock
from simulator.customers.rules import CustomerRules
from simulator.http.blueprints import EXTENSION
from simulator.store import InMemoryStore
from tests.helpers import contract
from tests.helpers.apps import SMALL
from tests.helpers.shopping import Shopper, affordable_products, register_shopper


@pytest.fixture(scope="session")
def make_app() -> Callable[..., Flask]:
    """`make_app(**settings)`: a new app on the small settings, with these on top (a factory:
    each call seeds a fresh app, so any test scope may use it)."""

    def make(**settings) -> Flask:
        return create_app({**SMALL, **settings})

    return make


@pytest.fixture
def app(make_app):
    return make_app()


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


@pytest.fixture
def long_sessions(sim):
    """Tokens outlive the days a test moves the clock by (they expire after one by default)."""
    sim.settings = sim.settings.replace(token_ttl_seconds=300 * 24 * 3600)


@pytest.fixture
def shopper(client):
    """A freshly registered customer, driven through the HTTP API."""
    return Shopper(client, register_shopper(client))


@pytest.fixture
def products(sim):
    return affordable_products(sim.store)


@pytest.fixture
def store():
    """A bare store, for service tests."""
    return InMemoryStore(7)


@pytest.fixture
def clock():
    clock = Clock()
    clock.freeze()
    return clock


@pytest.fixture
def rules():
    """Customer rules for service tests."""
    return CustomerRules(hash_profile="fast", max_addresses=4, storefront_url="http://shop.test")


# -- every answer keeps the OpenAPI document (tests/helpers/contract.py) --------------------------


def pytest_configure(config):
    config.addinivalue_line("markers", f"{contract.COVERAGE_MARK}: runs last, checks what the whole suite reached")


@pytest.hookimpl(trylast=True)  # after -k / -m deselection
def pytest_collection_modifyitems(session, config, items):
    contract.arrange(items, Path(__file__).parent)


@pytest.fixture(autouse=True, scope="session")
def contract_client():
    """Every Flask test client of the suite checks each answer against the app's OpenAPI document."""
    before, Flask.test_client_class = Flask.test_client_class, contract.ContractClient
    yield
    Flask.test_client_class = before

"""Fixtures of the basket tests."""

import pytest


@pytest.fixture
def guest(client):
    """Headers that reach a fresh guest basket."""
    created = client.post("/api/v1/baskets")
    assert created.status_code == 201
    body = created.get_json()
    assert body["id"].startswith("bsk_") and len(body["token"]) >= 32
    return {"X-Basket-Token": body["token"]}

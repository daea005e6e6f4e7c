"""Two customers: each reaches only their own record and addresses; dead tokens are refused."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from simulator.customers.model import AUTH_TOKEN
from simulator.tokens import token_digest
from tests.helpers.accounts import PASSWORD, address, bearer, register
from tests.helpers.problems import assert_problem

PROTECTED = [
    ("GET", "/api/v1/customers/me"),
    ("PATCH", "/api/v1/customers/me"),
    ("POST", "/api/v1/customers/me/password"),
    ("GET", "/api/v1/customers/me/addresses"),
    ("POST", "/api/v1/customers/me/addresses"),
    ("GET", "/api/v1/customers/me/addresses/adr_000000000000"),
    ("PUT", "/api/v1/customers/me/addresses/adr_000000000000"),
    ("DELETE", "/api/v1/customers/me/addresses/adr_000000000000"),
    ("POST", "/api/v1/auth/logout"),
]


@pytest.fixture
def two(client):
    """Ada and Bob, each with one address: (token, customer, address) each."""
    result = []
    for email in ("ada@example.org", "bob@example.org"):
        token, customer = register(client, email)
        created = client.post("/api/v1/customers/me/addresses", json=address(), headers=bearer(token)).get_json()
        result.append((token, customer, created))
    return result


def test_another_customers_address_answers_404_and_stays_untouched(client, two):
    (ada_token, _, _), (bob_token, _, bob_address) = two
    url = f"/api/v1/customers/me/addresses/{bob_address['id']}"
    assert_problem(client.get(url, headers=bearer(ada_token)), 404, "ADDRESS_NOT_FOUND")
    assert_problem(client.put(url, json=address(city="Stolen"), headers=bearer(ada_token)), 404, "ADDRESS_NOT_FOUND")
    assert_problem(client.delete(url, headers=bearer(ada_token)), 404, "ADDRESS_NOT_FOUND")
    unknown = client.get("/api/v1/customers/me/addresses/adr_000000000000", headers=bearer(ada_token))
    assert unknown.get_json()["detail"].replace("adr_000000000000", "X") == client.get(
        url, headers=bearer(ada_token)
    ).get_json()["detail"].replace(bob_address["id"], "X")  # indistinguishable from an unknown id
    assert client.get(url, headers=bearer(bob_token)).get_json() == bob_address


def test_each_customer_sees_only_their_own_record_and_addresses(client, two):
    for token, customer, created in two:
        assert client.get("/api/v1/customers/me", headers=bearer(token)).get_json()["id"] == customer["id"]
        assert [a["id"] for a in client.get("/api/v1/customers/me/addresses", headers=bearer(token)).get_json()] == [created["id"]]


def test_a_profile_change_touches_only_the_caller(client, two):
    (ada_token, _, _), (bob_token, bob, _) = two
    client.patch("/api/v1/customers/me", json={"first_name": "Augusta"}, headers=bearer(ada_token))
    assert client.get("/api/v1/customers/me", headers=bearer(bob_token)).get_json() == {**bob, "default_shipping_address_id": two[1][2]["id"], "default_billing_address_id": two[1][2]["id"]}


@pytest.mark.parametrize("method, path", PROTECTED)
@pytest.mark.parametrize(
    "headers, has_error",
    [
        ({}, False),
        ({"Authorization": "Bearer"}, True),
        ({"Authorization": "Bearer not-a-real-token"}, True),
        ({"Authorization": "Basic YWRhOnNlY3JldA=="}, True),
        ({"Authorization": "Bearer " + "x" * 600}, True),
    ],
)
def test_missing_or_bad_tokens_are_401_with_www_authenticate(client, two, method, path, headers, has_error):
    response = client.open(path, method=method, headers=headers, json={"anything": 1})
    assert_problem(response, 401, "UNAUTHORIZED")
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="alegra-sim"')
    assert ('error="invalid_token"' in challenge) is has_error


def test_revoked_tokens_are_401(client, two):
    (ada_token, _, _), _ = two
    client.post("/api/v1/auth/logout", headers=bearer(ada_token))
    response = client.get("/api/v1/customers/me", headers=bearer(ada_token))
    assert_problem(response, 401, "UNAUTHORIZED")
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_expired_tokens_are_401_token_expired(client, frozen, sim, two):
    (ada_token, _, _), (bob_token, _, _) = two
    frozen.advance(timedelta(seconds=sim.settings.token_ttl_seconds))
    for token in (ada_token, bob_token):
        response = client.get("/api/v1/customers/me", headers=bearer(token))
        assert_problem(response, 401, "TOKEN_EXPIRED")
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    fresh = client.post("/api/v1/auth/login", json={"email": "ada@example.org", "password": PASSWORD}).get_json()["token"]
    assert client.get("/api/v1/customers/me", headers=bearer(fresh)).status_code == 200


def test_a_token_of_one_customer_never_opens_the_other(client, two):
    (ada_token, ada, _), (bob_token, bob, _) = two
    assert ada_token != bob_token
    assert client.get("/api/v1/customers/me", headers=bearer(ada_token)).get_json()["id"] == ada["id"] != bob["id"]


def test_raw_tokens_never_sit_in_the_store_or_the_logs(client, sim, caplog):
    caplog.set_level(logging.DEBUG)
    token, customer = register(client, "ada@example.org")
    client.get("/api/v1/customers/me", headers=bearer(token))
    client.post("/api/v1/auth/logout", headers=bearer(token))
    client.get("/api/v1/customers/me", headers=bearer(token))
    token2, _ = register(client, "bob@example.org")
    everything = repr([sim.store.values(kind) for kind in ("customer", "auth_token", "idempotency_key", "login_attempts")])
    for raw in (token, token2):
        assert raw not in everything and raw not in caplog.text
    assert token_digest(token2) in {t.id for t in sim.store.values(AUTH_TOKEN)}
    assert PASSWORD not in everything and PASSWORD not in caplog.text


def test_no_answer_ever_carries_a_password_hash(client):
    token, _ = register(client, "ada@example.org")
    answers = [
        client.get("/api/v1/customers/me", headers=bearer(token)),
        client.post("/api/v1/auth/login", json={"email": "ada@example.org", "password": PASSWORD}),
        client.patch("/api/v1/customers/me", json={"first_name": "Augusta"}, headers=bearer(token)),
    ]
    for answer in answers:
        assert "argon2" not in answer.get_data(as_text=True) and "password" not in answer.get_data(as_text=True)

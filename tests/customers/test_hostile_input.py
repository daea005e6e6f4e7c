"""Hostile bodies and headers on every customer endpoint: a 4xx problem+json, never a 5xx."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.customers.model import ADDRESS, AUTH_TOKEN, CUSTOMER
from tests.helpers.accounts import PASSWORD, address, bearer, register

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
FIELDS = [
    "email", "password", "first_name", "last_name", "phone", "marketing_consent", "token", "basket_token",
    "current_password", "new_password", "line1", "line2", "postal_code", "city", "country", "company", "region",
    "is_default_shipping", "is_default_billing",
]
bodies = st.one_of(json_values, st.fixed_dictionaries({}, optional={name: json_values for name in FIELDS}))
TARGETS = [
    "post /api/v1/customers",
    "post /api/v1/auth/login",
    "post /api/v1/auth/logout",
    "post /api/v1/auth/password/forgot",
    "post /api/v1/auth/password/reset",
    "patch /api/v1/customers/me",
    "post /api/v1/customers/me/password",
    "post /api/v1/customers/me/addresses",
    "put /api/v1/customers/me/addresses/{aid}",
    "delete /api/v1/customers/me/addresses/{aid}",
]


@pytest.fixture
def ada(client):
    token, _ = register(client, "ada@example.org")
    created = client.post("/api/v1/customers/me/addresses", json=address(), headers=bearer(token)).get_json()
    return token, created["id"]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies, target=st.sampled_from(TARGETS))
def test_no_json_body_reaches_a_server_error(client, ada, body, target):
    token, address_id = ada
    method, url = target.split()
    response = client.open(url.replace("{aid}", address_id), method=method.upper(), json=body, headers=bearer(token))
    assert response.status_code < 500, response.get_data(as_text=True)
    if response.status_code >= 400:
        assert response.mimetype == "application/problem+json"


RAW_BODIES = [
    '{"email": "ada@example.org", "password": "\\ud800\\ud800\\ud800\\ud800", "first_name": "A", "last_name": "B"}',
    '{"email": "a\\ud800@example.org", "password": "correct horse battery", "first_name": "A", "last_name": "B"}',
    '{"email": "ada@example.org", "password": "correct horse battery", "first_name": "\\u0000", "last_name": "B"}',
    '{"email": "ada@example.org", "password": "' + "p" * 5000 + '", "first_name": "A", "last_name": "B"}',
    '{"email": "' + "a" * 300 + '@example.org", "password": "correct horse battery", "first_name": "A", "last_name": "B"}',
    "null", "[]", '"text"', "1e999", "{", "",
]


@pytest.mark.parametrize("raw", RAW_BODIES)
@pytest.mark.parametrize("url", ["/api/v1/customers", "/api/v1/auth/login", "/api/v1/auth/password/reset", "/api/v1/auth/password/forgot"])
def test_raw_hostile_bodies_are_refused_and_create_nothing(client, sim, raw, url):
    before = (sim.store.count(CUSTOMER), sim.store.count(AUTH_TOKEN))
    response = client.post(url, data=raw, content_type="application/json")
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert (sim.store.count(CUSTOMER), sim.store.count(AUTH_TOKEN)) == before


def test_login_with_an_unencodable_password_is_a_malformed_body_not_an_attempt(client):
    register(client, "ada@example.org")
    raw = json.dumps({"email": "ada@example.org", "password": "x"}).replace('"x"', '"\\ud800abcdefgh"')
    for _ in range(6):  # more than the lockout threshold: none of them counts
        response = client.post("/api/v1/auth/login", data=raw, content_type="application/json")
        assert response.status_code == 400 and response.get_json()["code"] == "MALFORMED_JSON"
    assert client.post("/api/v1/auth/login", json={"email": "ada@example.org", "password": PASSWORD}).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer \x7f\x00"},
        {"Authorization": "Bearer a b c"},
        {"Authorization": "bearer"},
        {"Authorization": ""},
        {"Idempotency-Key": ""},
        {"Idempotency-Key": "é"},
        {"If-Match": '"' + "9" * 40 + '"'},
    ],
)
def test_hostile_headers_are_4xx(client, ada, headers):
    token, address_id = ada
    base = {} if "Authorization" in headers else bearer(token)
    for method, url, body in [
        ("GET", "/api/v1/customers/me", None),
        ("PUT", f"/api/v1/customers/me/addresses/{address_id}", address()),
        ("POST", "/api/v1/customers", {"email": "new@example.org", "password": PASSWORD, "first_name": "N", "last_name": "N"}),
    ]:
        response = client.open(url, method=method, json=body, headers={**base, **headers})
        assert response.status_code < 500, response.get_data(as_text=True)
        if response.status_code >= 400:
            assert response.mimetype == "application/problem+json"


def test_ids_of_any_shape_answer_404(client, ada, sim):
    token, _ = ada
    before = sim.store.count(ADDRESS)
    for weird in ["x" * 3000, "%00%ff", "..%2F..%2Fetc", "adr_" + "z" * 12, "cus_000000000000"]:
        for method in ("GET", "PUT", "DELETE"):
            response = client.open(f"/api/v1/customers/me/addresses/{weird}", method=method, json=address(), headers=bearer(token))
            assert response.status_code == 404, (weird, method, response.status_code)
    assert sim.store.count(ADDRESS) == before

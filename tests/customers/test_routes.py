"""Every customer endpoint over HTTP, with its answers and error codes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from simulator.customers.model import CUSTOMER
from simulator.seed.customers import DEMO_EMAIL, SEEDED_PASSWORD, seeded_email
from tests.helpers.accounts import PASSWORD, address, bearer, register, registration
from tests.helpers.problems import assert_problem

SESSION_KEYS = {"token", "token_type", "expires_at", "expires_in", "customer"}
CUSTOMER_KEYS = {
    "id", "email", "first_name", "last_name", "phone", "marketing_consent",
    "default_shipping_address_id", "default_billing_address_id", "version", "created_at", "updated_at",
}


def _outbox(client, recipient, template=None):
    mails = client.get("/_sim/outbox", query_string={"recipient": recipient}).get_json()
    return [m for m in mails if template is None or m["template"] == template]


# -- POST /customers ------------------------------------------------------------------
def test_register_answers_201_with_the_customer_and_a_token(client, frozen):
    response = client.post(
        "/api/v1/customers",
        json=registration("ada@example.org", phone="+49 30 1234567", marketing_consent=True),
    )
    assert response.status_code == 201
    assert response.headers["Location"] == "/api/v1/customers/me"
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert set(body) == SESSION_KEYS and set(body["customer"]) == CUSTOMER_KEYS
    assert body["token_type"] == "Bearer" and body["expires_in"] == 24 * 3600
    assert body["customer"]["email"] == "ada@example.org" and body["customer"]["marketing_consent"] is True
    assert "password" not in response.get_data(as_text=True)
    me = client.get("/api/v1/customers/me", headers=bearer(body["token"]))
    assert me.get_json() == body["customer"]
    assert [m["subject"] for m in _outbox(client, "ada@example.org")] == ["Welcome to the shop"]


def test_register_a_taken_email_is_409(client):
    register(client, "ada@example.org")
    assert_problem(client.post("/api/v1/customers", json=registration("ADA@example.org")), 409, "EMAIL_TAKEN")
    assert_problem(client.post("/api/v1/customers", json=registration(DEMO_EMAIL)), 409, "EMAIL_TAKEN")


@pytest.mark.parametrize(
    "body, field",
    [
        ({"password": "password1"}, "password"),
        ({"password": "short"}, "password"),
        ({"email": "ada@example.org", "password": "ada@example.org"}, "password"),
    ],
)
def test_register_a_weak_password_is_422_weak_password(client, sim, body, field):
    before = sim.store.count(CUSTOMER)
    problem = assert_problem(client.post("/api/v1/customers", json=registration(**body)), 422, "WEAK_PASSWORD")
    assert field in problem["errors"]
    assert sim.store.count(CUSTOMER) == before


@pytest.mark.parametrize(
    "body, field",
    [
        ({"email": "not an email"}, "email"),
        ({"first_name": ""}, "first_name"),
        ({"last_name": "   "}, "last_name"),
        ({"phone": "ring ring"}, "phone"),
        ({"marketing_consent": "maybe"}, "marketing_consent"),
        ({"password": 12345678}, "password"),
        ({"is_admin": True}, "is_admin"),
    ],
)
def test_register_bad_fields_are_422(client, sim, body, field):
    before = sim.store.count(CUSTOMER)
    problem = assert_problem(client.post("/api/v1/customers", json=registration(**body)), 422, "VALIDATION_FAILED")
    assert field in problem["errors"]
    assert sim.store.count(CUSTOMER) == before


def test_register_without_a_body_or_with_broken_json_changes_nothing(client, sim):
    before = sim.store.count(CUSTOMER)
    assert_problem(client.post("/api/v1/customers"), 422, "VALIDATION_FAILED")
    assert_problem(client.post("/api/v1/customers", data="[1, 2]", content_type="application/json"), 422)
    assert_problem(client.post("/api/v1/customers", data="{oops", content_type="application/json"), 400)
    assert sim.store.count(CUSTOMER) == before


# -- Idempotency-Key on registration ------------------------------------------------------------
def test_registration_replay_with_the_same_key_and_body_answers_the_same_customer(client, sim):
    body = registration("ada@example.org")
    headers = {"Idempotency-Key": "signup-7f3a"}
    first = client.post("/api/v1/customers", json=body, headers=headers)
    before = sim.store.count(CUSTOMER)
    again = client.post("/api/v1/customers", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert again.get_json()["customer"] == first.get_json()["customer"]
    assert sim.store.count(CUSTOMER) == before
    assert len(_outbox(client, "ada@example.org", "welcome")) == 1
    for answer in (first, again):  # both tokens work
        assert client.get("/api/v1/customers/me", headers=bearer(answer.get_json()["token"])).status_code == 200


def test_registration_replay_with_another_body_is_422(client, sim):
    headers = {"Idempotency-Key": "signup-7f3a"}
    client.post("/api/v1/customers", json=registration("ada@example.org"), headers=headers)
    before = sim.store.count(CUSTOMER)
    other = client.post("/api/v1/customers", json=registration("eve@example.org"), headers=headers)
    assert_problem(other, 422, "IDEMPOTENCY_KEY_REUSED")
    assert sim.store.count(CUSTOMER) == before


def test_a_malformed_idempotency_key_is_422(client):
    response = client.post("/api/v1/customers", json=registration(), headers={"Idempotency-Key": "x" * 300})
    assert "Idempotency-Key" in assert_problem(response, 422, "VALIDATION_FAILED")["errors"]


# -- login / logout -------------------------------------------------------------------------------
def test_login_answers_a_token_its_expiry_and_the_customer(client, frozen):
    _, customer = register(client, "ada@example.org")
    response = client.post("/api/v1/auth/login", json={"email": "Ada@Example.org", "password": PASSWORD})
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == SESSION_KEYS and body["customer"]["id"] == customer["id"]
    assert body["expires_in"] == 24 * 3600
    assert response.headers["Cache-Control"] == "no-store"


def test_the_demo_account_and_seeded_customer_n_log_in_with_the_documented_password(client, sim):
    seeded = sim.settings.customers
    demo = client.post("/api/v1/auth/login", json={"email": DEMO_EMAIL, "password": SEEDED_PASSWORD})
    assert demo.status_code == 200
    assert demo.get_json()["customer"]["default_shipping_address_id"] is not None
    for n in (1, 7, seeded):
        response = client.post("/api/v1/auth/login", json={"email": seeded_email(n), "password": SEEDED_PASSWORD})
        assert response.status_code == 200, n
        assert response.get_json()["customer"]["email"] == seeded_email(n)
    missing = client.post("/api/v1/auth/login", json={"email": seeded_email(seeded + 1), "password": SEEDED_PASSWORD})
    assert_problem(missing, 401, "INVALID_CREDENTIALS")


@pytest.mark.parametrize("email, password", [("ada@example.org", "wrong password"), ("who@example.org", PASSWORD)])
def test_login_with_bad_credentials_is_401_invalid_credentials(client, email, password):
    register(client, "ada@example.org")
    response = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    problem = assert_problem(response, 401, "INVALID_CREDENTIALS")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert problem["detail"] == "The email or the password is not correct."


def test_login_with_missing_fields_is_422(client):
    assert_problem(client.post("/api/v1/auth/login", json={"email": "ada@example.org"}), 422, "VALIDATION_FAILED")


def test_login_accepts_a_guest_basket_token(client):
    register(client, "ada@example.org")
    response = client.post(
        "/api/v1/auth/login", json={"email": "ada@example.org", "password": PASSWORD, "basket_token": "bsk-token"}
    )
    assert response.status_code == 200


def test_the_sixth_failed_login_in_fifteen_minutes_is_429_with_retry_after(client, sim, frozen):
    register(client, "ada@example.org")
    wrong = {"email": "ada@example.org", "password": "wrong password"}
    for _ in range(5):
        assert_problem(client.post("/api/v1/auth/login", json=wrong), 401, "INVALID_CREDENTIALS")
    frozen.advance(timedelta(minutes=5))
    locked = client.post("/api/v1/auth/login", json={"email": "ada@example.org", "password": PASSWORD})
    problem = assert_problem(locked, 429, "TOO_MANY_ATTEMPTS")
    assert locked.headers["Retry-After"] == "600" and problem["retry_after_seconds"] == 600
    sim.clock.advance(timedelta(minutes=10))
    assert client.post("/api/v1/auth/login", json={"email": "ada@example.org", "password": PASSWORD}).status_code == 200


def test_logout_revokes_the_token(client):
    token, _ = register(client, "ada@example.org")
    response = client.post("/api/v1/auth/logout", headers=bearer(token))
    assert response.status_code == 204 and response.get_data() == b""
    assert_problem(client.get("/api/v1/customers/me", headers=bearer(token)), 401, "UNAUTHORIZED")
    assert_problem(client.post("/api/v1/auth/logout", headers=bearer(token)), 401, "UNAUTHORIZED")
    assert_problem(client.post("/api/v1/auth/logout"), 401, "UNAUTHORIZED")


# -- forgotten password ----------------------------------------------------------------------------
def test_forgot_answers_the_same_for_known_and_unknown_emails(client):
    register(client, "ada@example.org")
    known = client.post("/api/v1/auth/password/forgot", json={"email": "ada@example.org"})
    unknown = client.post("/api/v1/auth/password/forgot", json={"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 202
    assert known.get_data() == unknown.get_data()
    assert dict(known.headers) == dict(unknown.headers)
    assert len(_outbox(client, "ada@example.org", "password_reset")) == 1
    assert _outbox(client, "nobody@example.org") == []


def test_forgot_with_a_malformed_email_is_422(client):
    assert_problem(client.post("/api/v1/auth/password/forgot", json={"email": "nope"}), 422, "VALIDATION_FAILED")


def test_a_password_reset_end_to_end_through_the_outbox(client):
    old_token, _ = register(client, "ada@example.org")
    client.post("/api/v1/auth/password/forgot", json={"email": "ada@example.org"})
    [mail] = _outbox(client, "ada@example.org", "password_reset")
    reset_token = mail["tokens"]["reset_token"]
    assert any(reset_token in link for link in mail["links"])
    weak = client.post("/api/v1/auth/password/reset", json={"token": reset_token, "password": "password"})
    assert_problem(weak, 422, "WEAK_PASSWORD")
    done = client.post("/api/v1/auth/password/reset", json={"token": reset_token, "password": "a brand new secret"})
    assert done.status_code == 204
    assert_problem(client.get("/api/v1/customers/me", headers=bearer(old_token)), 401)
    assert client.post("/api/v1/auth/login", json={"email": "ada@example.org", "password": "a brand new secret"}).status_code == 200
    again = client.post("/api/v1/auth/password/reset", json={"token": reset_token, "password": "yet another secret"})
    assert_problem(again, 422, "RESET_TOKEN_INVALID")


def test_an_expired_reset_token_is_refused(client, frozen):
    register(client, "ada@example.org")
    client.post("/api/v1/auth/password/forgot", json={"email": "ada@example.org"})
    [mail] = _outbox(client, "ada@example.org", "password_reset")
    frozen.advance(timedelta(hours=1))
    response = client.post("/api/v1/auth/password/reset", json={"token": mail["tokens"]["reset_token"], "password": "a brand new secret"})
    assert_problem(response, 422, "RESET_TOKEN_INVALID")


@pytest.mark.parametrize("body", [{"token": "made-up", "password": "a brand new secret"}, {"token": "", "password": "x"}, {"password": "abcdefghij"}])
def test_a_bad_reset_request_is_422(client, body):
    assert_problem(client.post("/api/v1/auth/password/reset", json=body), 422)


# -- profile -----------------------------------------------------------------------------------------
def test_patch_me_changes_the_profile_with_etag_and_if_match(client):
    token, customer = register(client, "ada@example.org")
    me = client.get("/api/v1/customers/me", headers=bearer(token))
    assert me.headers["ETag"] == '"1"'
    response = client.patch(
        "/api/v1/customers/me", json={"first_name": "Augusta", "marketing_consent": True},
        headers={**bearer(token), "If-Match": '"1"'},
    )
    assert response.status_code == 200 and response.headers["ETag"] == '"2"'
    assert response.get_json()["first_name"] == "Augusta" and response.get_json()["marketing_consent"] is True
    stale = client.patch("/api/v1/customers/me", json={"first_name": "Ada"}, headers={**bearer(token), "If-Match": '"1"'})
    assert_problem(stale, 412, "VERSION_MISMATCH")
    assert client.get("/api/v1/customers/me", headers=bearer(token)).get_json()["first_name"] == "Augusta"


def test_patch_me_email_change(client):
    token, _ = register(client, "ada@example.org")
    register(client, "bob@example.org")
    no_password = client.patch("/api/v1/customers/me", json={"email": "ada@new.example"}, headers=bearer(token))
    assert "current_password" in assert_problem(no_password, 422, "VALIDATION_FAILED")["errors"]
    wrong = client.patch("/api/v1/customers/me", json={"email": "ada@new.example", "current_password": "not it at all"}, headers=bearer(token))
    assert_problem(wrong, 422, "INVALID_CURRENT_PASSWORD")
    taken = client.patch("/api/v1/customers/me", json={"email": "bob@example.org", "current_password": PASSWORD}, headers=bearer(token))
    assert_problem(taken, 409, "EMAIL_TAKEN")
    moved = client.patch("/api/v1/customers/me", json={"email": "ada@new.example", "current_password": PASSWORD}, headers=bearer(token))
    assert moved.status_code == 200 and moved.get_json()["email"] == "ada@new.example"


@pytest.mark.parametrize("body", [{"first_name": ""}, {"password_hash": "x"}, {"phone": "nope"}, {"email": "not-an-email"}])
def test_patch_me_bad_fields_are_422(client, body):
    token, _ = register(client)
    assert_problem(client.patch("/api/v1/customers/me", json=body, headers=bearer(token)), 422, "VALIDATION_FAILED")


def test_change_password_signs_out_other_sessions_but_not_this_one(client):
    token, _ = register(client, "ada@example.org")
    other = client.post("/api/v1/auth/login", json={"email": "ada@example.org", "password": PASSWORD}).get_json()["token"]
    response = client.post(
        "/api/v1/customers/me/password",
        json={"current_password": PASSWORD, "new_password": "a brand new secret"},
        headers=bearer(token),
    )
    assert response.status_code == 204
    assert client.get("/api/v1/customers/me", headers=bearer(token)).status_code == 200
    assert_problem(client.get("/api/v1/customers/me", headers=bearer(other)), 401, "UNAUTHORIZED")
    assert [m["template"] for m in _outbox(client, "ada@example.org")][0] == "password_changed"


@pytest.mark.parametrize(
    "body, status, code",
    [
        ({"current_password": "wrong one!", "new_password": "a brand new secret"}, 422, "INVALID_CURRENT_PASSWORD"),
        ({"current_password": PASSWORD, "new_password": "password"}, 422, "WEAK_PASSWORD"),
        ({"current_password": PASSWORD}, 422, "VALIDATION_FAILED"),
    ],
)
def test_change_password_errors(client, body, status, code):
    token, _ = register(client, "ada@example.org")
    assert_problem(client.post("/api/v1/customers/me/password", json=body, headers=bearer(token)), status, code)
    assert client.post("/api/v1/auth/login", json={"email": "ada@example.org", "password": PASSWORD}).status_code == 200


# -- address book -----------------------------------------------------------------------------------
def test_address_book_crud(client):
    token, _ = register(client, "ada@example.org")
    auth = bearer(token)
    assert client.get("/api/v1/customers/me/addresses", headers=auth).get_json() == []
    created = client.post("/api/v1/customers/me/addresses", json=address(company="Analytical Engines Ltd"), headers=auth)
    assert created.status_code == 201 and created.headers["ETag"] == '"1"'
    body = created.get_json()
    assert created.headers["Location"] == f"/api/v1/customers/me/addresses/{body['id']}"
    assert body["is_default_shipping"] and body["is_default_billing"] and body["company"] == "Analytical Engines Ltd"
    me = client.get("/api/v1/customers/me", headers=auth).get_json()
    assert me["default_shipping_address_id"] == me["default_billing_address_id"] == body["id"]

    url = f"/api/v1/customers/me/addresses/{body['id']}"
    fetched = client.get(url, headers=auth)
    assert fetched.get_json() == body and fetched.headers["ETag"] == '"1"'
    assert client.get(url, headers={**auth, "If-None-Match": '"1"'}).status_code == 304

    replaced = client.put(url, json=address(city="Potsdam", postal_code="14467"), headers={**auth, "If-Match": '"1"'})
    assert replaced.status_code == 200 and replaced.headers["ETag"] == '"2"'
    assert replaced.get_json()["city"] == "Potsdam" and replaced.get_json()["company"] is None
    assert_problem(client.put(url, json=address(), headers={**auth, "If-Match": '"1"'}), 412, "VERSION_MISMATCH")
    assert_problem(client.delete(url, headers={**auth, "If-Match": '"1"'}), 412, "VERSION_MISMATCH")
    assert_problem(client.delete(url, headers={**auth, "If-Match": "garbage"}), 412)

    listed = client.get("/api/v1/customers/me/addresses", headers=auth).get_json()
    assert [a["id"] for a in listed] == [body["id"]]
    assert client.delete(url, headers={**auth, "If-Match": '"2"'}).status_code == 204
    assert_problem(client.get(url, headers=auth), 404, "ADDRESS_NOT_FOUND")
    assert_problem(client.delete(url, headers=auth), 404, "ADDRESS_NOT_FOUND")
    assert_problem(client.put(url, json=address(), headers=auth), 404, "ADDRESS_NOT_FOUND")


def test_defaults_move_over_http(client):
    token, _ = register(client)
    auth = bearer(token)
    first = client.post("/api/v1/customers/me/addresses", json=address(), headers=auth).get_json()
    second = client.post("/api/v1/customers/me/addresses", json=address(is_default_billing=True), headers=auth).get_json()
    listed = {a["id"]: a for a in client.get("/api/v1/customers/me/addresses", headers=auth).get_json()}
    assert (listed[first["id"]]["is_default_billing"], listed[second["id"]]["is_default_billing"]) == (False, True)
    assert listed[first["id"]]["version"] == 2
    client.delete(f"/api/v1/customers/me/addresses/{second['id']}", headers=auth)
    [remaining] = client.get("/api/v1/customers/me/addresses", headers=auth).get_json()
    assert remaining["is_default_shipping"] and remaining["is_default_billing"]


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"country": "ZZ"}, "country"),
        ({"postal_code": "ABCDE"}, "postal_code"),
        ({"phone": "phone"}, "phone"),
        ({"city": None}, "city"),
        ({"line1": "x" * 201}, "line1"),
        ({"is_default_shipping": "sometimes"}, "is_default_shipping"),
        ({"extra": 1}, "extra"),
    ],
)
def test_bad_addresses_are_422_over_http(client, fields, field):
    token, _ = register(client)
    response = client.post("/api/v1/customers/me/addresses", json=address(**fields), headers=bearer(token))
    assert field in assert_problem(response, 422, "VALIDATION_FAILED")["errors"]
    assert client.get("/api/v1/customers/me/addresses", headers=bearer(token)).get_json() == []


def test_past_the_limit_is_409(app, client, sim):
    token, _ = register(client)
    for _ in range(sim.settings.max_addresses):
        assert client.post("/api/v1/customers/me/addresses", json=address(), headers=bearer(token)).status_code == 201
    response = client.post("/api/v1/customers/me/addresses", json=address(), headers=bearer(token))
    assert_problem(response, 409, "ADDRESS_LIMIT_REACHED")
    assert len(client.get("/api/v1/customers/me/addresses", headers=bearer(token)).get_json()) == sim.settings.max_addresses

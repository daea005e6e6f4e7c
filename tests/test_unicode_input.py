"""Text that is valid JSON but not valid text, and digits that are not ASCII: 4xx, never 500."""

import pytest

from tests.helpers.problems import assert_problem

SURROGATE = '"\\ud800A"'  # JSON escape of a lone UTF-16 surrogate


@pytest.mark.parametrize("url, body", [
    ("/api/v1/customers", '{"email": "z@example.com", "password": "abcdefghijk12", "first_name": %s, "last_name": "B"}' % SURROGATE),
    ("/api/v1/webhooks", '{"url": "http://127.0.0.1:9/h", "events": ["product.created"], "description": %s}' % SURROGATE),
    ("/api/v1/webhooks", '{"url": "http://127.0.0.1:9/h", "events": ["product.created"], "secret": "\\ud800aaaaaaaaaaaaaaaaaaaa"}'),
    ("/_sim/products", '{%s: 1}' % SURROGATE),
])
def test_a_lone_surrogate_is_a_malformed_body_and_nothing_is_stored(client, sim, url, body):
    key = client.post("/_sim/integration-keys", json={"name": "hooks"}).get_json()["key"]
    before = {kind: sim.store.count(kind) for kind in ("customer", "webhook", "product")}
    headers = {"Authorization": f"Bearer {key}"} if url.startswith("/api/v1/webhooks") else {}
    assert_problem(client.post(url, data=body, content_type="application/json", headers=headers), 400, "MALFORMED_JSON")
    assert {kind: sim.store.count(kind) for kind in before} == before


def test_the_account_stays_usable(client):
    body = '{"email": "z@example.com", "password": "abcdefghijk12", "first_name": %s, "last_name": "B"}' % SURROGATE
    client.post("/api/v1/customers", data=body, content_type="application/json")
    ok = client.post("/api/v1/customers", json={"email": "z@example.com", "password": "abcdefghijk12", "first_name": "Zoë", "last_name": "B"})
    assert ok.status_code == 201


def test_non_ascii_digits(client, shopper, products):
    me = shopper.call("get", "/api/v1/customers/me")
    assert_problem(shopper.call("patch", "/api/v1/customers/me", json={"first_name": "X"}, extra={"If-Match": '"²"'}), 412)
    address = {"first_name": "A", "last_name": "B", "line1": "Weg 1", "postal_code": "١٠١١٥", "city": "Berlin", "country": "DE"}
    assert_problem(shopper.call("post", "/api/v1/customers/me/addresses", json=address), 422)
    shopper.add(products[0])
    checkout = shopper.open()
    shopper.ready_to_pay(checkout)
    card = {"number": "4242424242424²42", "expiry_month": 12, "expiry_year": 2031, "cvc": "123"}
    assert_problem(shopper.call("post", f"/api/v1/checkout/{checkout}/payment", json={"card": card}), 422)
    assert me.status_code == 200

"""Every answer keeps the schema its route documents.

The serializers build what is sent; the response schemas only document it (the hot
paths skip marshmallow's `dump`). This test holds the two together, for every answer
kind: a shopping session and an operator's session through the test client touch
every route, and each JSON answer is loaded with the schema its route documents.
Marshmallow raises on an unknown field and on a missing required one; the response
schemas mark required every field their serializer always sends, which the last test
checks against what was seen. A route that documents an answer must be in the
session, so a new one cannot slip past.
"""

from __future__ import annotations

from collections import defaultdict
from urllib.parse import urlsplit

import pytest
from marshmallow import Schema, ValidationError, fields

from simulator.catalog.model import CATEGORY, PRODUCT
from simulator.http.blueprints import EXTENSION

SETTINGS = {"products": 60, "customers": 5, "password_hash_profile": "fast", "churn_per_minute": 0, "log_level": "warning"}
CARD = {"number": "4242 4242 4242 4242", "expiry_month": 12, "expiry_year": 2031, "cvc": "123"}
CARD_3DS = {**CARD, "number": "4000 0025 0000 3155"}
ADDRESS = {"first_name": "Ada", "last_name": "Lovelace", "company": "Engines", "line1": "Unter den Linden 77", "postal_code": "10117", "city": "Berlin", "country": "DE", "phone": "+49 30 1234567"}
PASSWORD = "correct horse battery"


class Recorder:
    """A test client that keeps every JSON answer with the route that sent it."""

    def __init__(self, app):
        self.app, self.client = app, app.test_client()
        self.urls = app.url_map.bind("localhost")
        self.answers: list[tuple[str, int, object]] = []  # (endpoint, status, body)
        self.responses: list[tuple[str, object]] = []  # (endpoint, response): every answer, JSON or not

    def call(self, method: str, url: str, headers: dict | None = None, **kwargs):
        response = self.client.open(url, method=method, headers=headers or {}, **kwargs)
        assert response.status_code < 400, (method, url, response.get_data(as_text=True))
        endpoint, _ = self.urls.match(urlsplit(url).path, method=method)
        self.responses.append((endpoint, response))
        if response.mimetype == "application/json" and response.data:
            self.answers.append((endpoint, response.status_code, response.get_json()))
        return response.get_json(silent=True)

    def get(self, url: str, **kwargs):
        return self.call("GET", url, **kwargs)

    def post(self, url: str, **kwargs):
        return self.call("POST", url, **kwargs)

    def put(self, url: str, **kwargs):
        return self.call("PUT", url, **kwargs)

    def patch(self, url: str, **kwargs):
        return self.call("PATCH", url, **kwargs)

    def delete(self, url: str, **kwargs):
        return self.call("DELETE", url, **kwargs)


def _shop(s: Recorder, sim) -> None:
    """A customer's session: catalog, account, address book, basket, three checkouts, orders."""
    s.get("/api/v1/categories")
    s.get("/api/v1/products", query_string={"page_size": 5})
    products = [p for p in sim.store.values(PRODUCT) if p.stock >= 5 and p.price < 60][:3]
    s.get(f"/api/v1/products/{products[0].id}")
    s.get("/api/v1/promotions")

    session = s.post("/api/v1/customers", json={"email": "ada@example.org", "password": PASSWORD, "first_name": "Ada", "last_name": "Lovelace"})
    me = {"Authorization": f"Bearer {session['token']}"}
    s.post("/api/v1/auth/login", json={"email": "ada@example.org", "password": PASSWORD})
    s.post("/api/v1/auth/password/forgot", json={"email": "ada@example.org"})
    s.get("/api/v1/customers/me", headers=me)
    s.patch("/api/v1/customers/me", json={"phone": "+49 30 7654321", "marketing_consent": True}, headers=me)
    address = s.post("/api/v1/customers/me/addresses", json=ADDRESS, headers=me)
    s.get(f"/api/v1/customers/me/addresses/{address['id']}", headers=me)
    s.put(f"/api/v1/customers/me/addresses/{address['id']}", json={**ADDRESS, "city": "Berlin-Mitte"}, headers=me)
    s.get("/api/v1/customers/me/addresses", headers=me)

    guest = {"X-Basket-Token": s.post("/api/v1/baskets")["token"]}
    s.post("/api/v1/basket/items", json={"product_id": products[2].id}, headers=guest)
    s.post("/api/v1/auth/login", json={"email": "ada@example.org", "password": PASSWORD, "basket_token": guest["X-Basket-Token"]})
    line = s.post("/api/v1/basket/items", json={"product_id": products[0].id, "quantity": 2}, headers=me)["lines"][0]
    s.patch(f"/api/v1/basket/items/{line['id']}", json={"quantity": 3}, headers=me)
    s.post("/api/v1/basket/coupons", json={"code": "WELCOME5"}, headers=me)
    s.delete("/api/v1/basket/coupons/WELCOME5", headers=me)
    s.delete(f"/api/v1/basket/items/{line['id']}", headers=me)
    s.delete("/api/v1/basket", headers=me)
    s.get("/api/v1/basket", headers=me)

    def checkout(payment_type: str, pay: dict | None) -> tuple[str, dict]:
        s.post("/api/v1/basket/items", json={"product_id": products[1].id, "quantity": 2}, headers=me)
        opened = s.post("/api/v1/checkout", headers=me)["id"]
        url = f"/api/v1/checkout/{opened}"
        s.get(url, headers=me)
        s.put(f"{url}/shipping-address", json={"address_id": address["id"]}, headers=me)
        s.put(f"{url}/billing-address", json={"address": {**ADDRESS, "company": None}}, headers=me)
        s.get(f"{url}/payment-types", headers=me)
        s.put(f"{url}/payment-type", json={"payment_type": payment_type}, headers=me)
        s.get(f"{url}/delivery-options", headers=me)
        s.put(f"{url}/delivery-option", json={"delivery_option_id": "dhl-standard"}, headers=me)
        paid = s.post(f"{url}/payment", json=pay or {}, headers=me)
        return url, paid

    url, _ = checkout("card", {"card": CARD_3DS})
    s.post(f"{url}/payment/confirm", headers=me)
    card_order = s.post(f"{url}/order", json={"comment": "Leave it at the door"}, headers=me)
    url, paid = checkout("paypal", {})
    s.post(urlsplit(paid["payment"]["redirect_url"]).path + "/approve")
    s.post(f"{url}/order", headers=me)
    url, _ = checkout("bank_transfer", None)
    transfer = s.post(f"{url}/order", headers=me)
    s.post(f"/_sim/orders/{transfer['id']}/payment-received")

    s.get("/api/v1/orders", headers=me)
    s.get("/_sim/orders", query_string={"page_size": 3})
    s.get(f"/api/v1/orders/{card_order['id']}", headers=me)
    s.post(f"/api/v1/orders/{card_order['id']}/cancel", json={"reason": "Changed my mind"}, headers=me)

    s.delete(f"/api/v1/customers/me/addresses/{address['id']}", headers=me)
    s.post("/api/v1/customers/me/password", json={"current_password": PASSWORD, "new_password": "a new horse battery"}, headers=me)
    s.post("/api/v1/auth/password/forgot", json={"email": "ada@example.org"})  # the change voided the earlier link
    reset_token = s.get("/_sim/outbox", query_string={"recipient": "ada@example.org"})[0]["tokens"]["reset_token"]
    s.post("/api/v1/auth/password/reset", json={"token": reset_token, "password": "another horse battery"})
    session = s.post("/api/v1/auth/login", json={"email": "ada@example.org", "password": "another horse battery"})
    s.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {session['token']}"})


def _operate(s: Recorder, sim) -> None:
    """An operator's session: webhooks, catalog edits and the feed, promotions, the /_sim controls."""
    issued = s.post("/_sim/integration-keys", json={"name": "operator"})
    s.get("/_sim/integration-keys")
    s.get(f"/_sim/integration-keys/{issued['id']}")
    key = {"Authorization": f"Bearer {issued['key']}"}
    hook = s.post("/api/v1/webhooks", json={"url": "http://127.0.0.1:9/hooks", "events": ["product.created", "product.deleted"]}, headers=key)
    s.get("/api/v1/webhooks", headers=key)
    s.get(f"/api/v1/webhooks/{hook['id']}", headers=key)

    sync_token = s.get("/api/v1/catalog/export", query_string={"limit": 5})["sync_token"]
    category = next(iter(sim.store.values(CATEGORY))).id
    product = s.post("/_sim/products", json={"name": "Probe", "category_ids": [category], "price": "9.99", "compare_at_price": "12.00", "stock": 3})
    s.patch(f"/_sim/products/{product['id']}", json={"stock": 4})
    s.delete(f"/_sim/products/{product['id']}")
    s.get("/api/v1/catalog/changes", query_string={"since": sync_token})
    s.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=key)
    s.get("/_sim/webhooks/deliveries")
    s.get("/_sim/catalog/changes", query_string={"limit": 3})

    s.get("/_sim/promotions")
    rule = s.post("/_sim/promotions", json={"name": "Ten off", "kind": "basket_percent", "percent": "10", "coupon_code": "TENOFF", "starts_at": "2026-01-01T00:00:00Z"})
    s.get(f"/_sim/promotions/{rule['id']}")
    s.put(f"/_sim/promotions/{rule['id']}", json={"name": "Tiers", "kind": "tiered_spend", "tiers": [{"threshold": "50", "amount": "5"}]})
    s.put("/_sim/promotions", json={"promotions": [{"name": "Free shipping", "kind": "free_shipping", "min_subtotal": "30"}]})
    s.delete(f"/_sim/promotions/{s.get('/_sim/promotions')[0]['id']}")
    s.delete(f"/api/v1/webhooks/{hook['id']}", headers=key)
    s.delete(f"/_sim/integration-keys/{s.post('/_sim/integration-keys', json={'name': 'short-lived'})['id']}")

    s.get("/_sim/outbox")
    s.get("/_sim/clock")
    s.post("/_sim/clock", json={"action": "advance", "seconds": 60})
    s.get("/_sim/config")
    s.patch("/_sim/config", json={"faults": {"groups": {"basket": {"error_rate": 0.0}}}})
    s.get("/_sim/churn")
    s.post("/_sim/churn/run", json={"changes": 5})
    s.get("/_sim/stats")
    s.delete("/_sim/stats")
    s.post("/_sim/reset")


@pytest.fixture(scope="module")
def recorded(make_app) -> Recorder:
    app = make_app(**SETTINGS)
    s = Recorder(app)
    sim = app.extensions[EXTENSION]
    _shop(s, sim)
    _operate(s, sim)
    return s


def _responses(app, endpoint: str) -> dict:
    return getattr(app.view_functions[endpoint], "_apidoc", {}).get("response", {}).get("responses", {})


def _documented(app, endpoint: str, status: int) -> Schema | None:
    for code, answers in _responses(app, endpoint).items():
        for answer in answers:
            # A JSON answer's marshmallow schema (the NDJSON export and the SVG images document theirs as dicts).
            if int(code) == status and isinstance(answer, dict) and isinstance(answer.get("schema"), Schema):
                return answer["schema"]
    return None


def test_every_answer_loads_with_the_schema_its_route_documents(recorded):
    disagreements = []
    for endpoint, status, body in recorded.answers:
        schema = _documented(recorded.app, endpoint, status)
        if schema is None:
            disagreements.append(f"{endpoint} {status}: no schema documents this answer")
            continue
        try:
            schema.load(body)
        except ValidationError as error:
            disagreements.append(f"{endpoint} {status} ({type(schema).__name__}): {error.messages}")
    assert disagreements == []


def test_every_route_that_documents_an_answer_was_seen(recorded):
    seen = {endpoint for endpoint, _, _ in recorded.answers}
    documented = {
        rule.endpoint
        for rule in recorded.app.url_map.iter_rules()
        for status in range(200, 300)
        if _documented(recorded.app, rule.endpoint, status) is not None
    }
    assert documented - seen == set()


def _walk(schema: Schema, body, presence: dict) -> None:
    """Record, per (schema class, field), whether each answer of that shape had it."""
    for item in body if schema.many else [body]:
        for name, field in schema.fields.items():
            present = name in item
            presence[(type(schema).__name__, name, field.required)].append(present)
            if present and item[name] is not None:
                _walk_field(field, item[name], presence)


def _walk_field(field: fields.Field, value, presence: dict) -> None:
    if isinstance(field, fields.Nested):
        _walk(field.schema, value, presence)
    elif isinstance(field, fields.List) and isinstance(field.inner, fields.Nested):
        for item in value:
            _walk(field.inner.schema, item, presence)
    elif isinstance(field, fields.Dict) and isinstance(field.value_field, fields.Nested):
        for item in value.values():
            _walk(field.value_field.schema, item, presence)


def test_fields_sent_in_every_answer_are_documented_as_required(recorded):
    presence = defaultdict(list)
    for endpoint, status, body in recorded.answers:
        schema = _documented(recorded.app, endpoint, status)
        if schema is not None:
            _walk(schema, body, presence)
    assert not all(presence[("ChangeSchema", "product", False)])  # the walk reaches nested answers, and sees a delete
    always_sent_but_optional = sorted(
        f"{schema}.{name}" for (schema, name, required), seen in presence.items() if all(seen) and not required
    )
    assert always_sent_but_optional == []


def test_every_201_says_where_and_every_204_is_empty(recorded):
    """Found in review: some 201s had no Location; 204s carried a content type."""
    created, empty = set(), set()
    for endpoint, response in recorded.responses:
        if response.status_code == 201:
            location = response.headers.get("Location")
            assert location and recorded.urls.match(location, method="GET"), endpoint
            created.add(endpoint)
        elif response.status_code == 204:
            assert response.data == b"" and "Content-Type" not in response.headers, endpoint
            empty.add(endpoint)
    def documenting(status: int) -> set[str]:
        return {
            rule.endpoint for rule in recorded.app.url_map.iter_rules()
            if status in {int(code) for code in _responses(recorded.app, rule.endpoint)}
        }

    assert documenting(201) - created == set()
    assert documenting(204) - empty == set()

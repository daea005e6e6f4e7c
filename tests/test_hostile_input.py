"""Bad input, as a hostile client sends it: a 4xx problem+json every time, nothing changed."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.catalog.model import PRODUCT
from simulator.webhooks.events import SUBSCRIPTION
from simulator.webhooks.keys import INTEGRATION_KEY
from tests.helpers.problems import assert_problem

PID = "{pid}"
HOSTILE = [
    ("get", "/api/v1/products?page_size=0", None, 422),
    ("get", "/api/v1/products?page_size=101", None, 422),
    ("get", "/api/v1/products?page=-1", None, 422),
    ("get", "/api/v1/products?page=abc", None, 422),
    ("get", "/api/v1/products?min_price=cheap", None, 422),
    ("get", "/api/v1/products?min_price=NaN", None, 422),
    ("get", "/api/v1/products?max_price=1e999999", None, 422),
    ("get", "/api/v1/products?min_price=-5", None, 422),
    ("get", "/api/v1/products?in_stock=perhaps", None, 422),
    ("get", "/api/v1/products?sort=price;drop", None, 422),
    ("get", "/api/v1/products?category=cat_unknown", None, 422),
    ("get", "/api/v1/products?q=" + "x" * 5000, None, 422),
    ("get", "/api/v1/products/" + "x" * 3000, None, 404),
    ("get", "/api/v1/products/%00%ff", None, 404),
    ("get", "/api/v1/catalog/export?limit=0", None, 422),
    ("get", "/api/v1/catalog/export?limit=1001", None, 422),
    ("get", "/api/v1/catalog/export?cursor=%%%", None, 422),
    ("get", "/api/v1/catalog/export?cursor=" + "A" * 600, None, 422),
    ("get", "/api/v1/catalog/changes", None, 422),
    ("get", "/api/v1/catalog/changes?since=", None, 422),
    ("get", "/api/v1/catalog/changes?since=bm90LmE", None, 422),
    ("get", "/api/v1/catalog/changes?since=x&limit=-3", None, 422),
    ("post", "/api/v1/products", {}, 405),
    ("delete", "/api/v1/catalog/export", None, 405),
    ("post", "/_sim/products", [], 422),
    ("post", "/_sim/products", "just a string", 422),
    ("post", "/_sim/products", {"name": "A", "category_ids": ["cat_x"], "price": "1e9999"}, 422),
    ("post", "/_sim/products", {"name": "A", "category_ids": ["cat_x"], "price": "-1"}, 422),
    ("post", "/_sim/products", {"name": "A", "category_ids": ["cat_x"], "price": "1.001"}, 422),
    ("post", "/_sim/products", {"name": "A", "category_ids": ["cat_x"], "price": "2.00"}, 422),
    ("post", "/_sim/products", {"name": "A", "category_ids": "cat_x", "price": "2.00"}, 422),
    ("post", "/_sim/products", {"name": "", "category_ids": [], "price": None}, 422),
    ("post", "/_sim/products", {"name": "A" * 10_000, "category_ids": ["c"], "price": "1"}, 422),
    ("post", "/_sim/products", {"name": "A", "category_ids": ["c"], "price": "1", "stock": 10**30}, 422),
    ("post", "/_sim/products", {"name": "A", "category_ids": ["c"], "price": "1", "extra": 1}, 422),
    ("patch", "/_sim/products/" + PID, {"price": True}, 422),
    ("patch", "/_sim/products/" + PID, {"sku": "123"}, 422),
    ("patch", "/_sim/products/" + PID, {"stock": -1}, 422),
    ("patch", "/_sim/products/" + PID, {"attributes": {"a": 5}}, 422),
    ("patch", "/_sim/products/prd_missing", {"stock": 1}, 404),
    ("delete", "/_sim/products/prd_missing", None, 404),
    ("post", "/_sim/reset", {"products": 10**9}, 422),
    ("post", "/_sim/reset", {"seed": "abc"}, 422),
    ("post", "/_sim/clock", {"action": "rewind"}, 422),
    ("post", "/_sim/clock", {"action": "advance", "seconds": -5}, 422),
    ("post", "/_sim/clock", {"action": "set", "to": "yesterday"}, 422),
    ("post", "/_sim/churn/run", {"changes": 10**7}, 422),
    # a shared simulator (docs/shared-host.md): a stranger without a key, forged links
    ("get", "/api/v1/webhooks", None, 401),
    ("post", "/api/v1/webhooks", {"url": "http://127.0.0.1:9/x", "events": ["order.created"]}, 401),
    ("post", "/api/v1/webhooks", {}, 401),
    ("get", "/api/v1/webhooks/whk_any", None, 401),
    ("delete", "/api/v1/webhooks/whk_any", None, 401),
    ("get", "/api/v1/webhooks/whk_any/deliveries", None, 401),
    ("post", "/_sim/integration-keys", {}, 422),
    ("post", "/_sim/integration-keys", {"name": ""}, 422),
    ("post", "/_sim/integration-keys", {"name": "x" * 101}, 422),
    ("post", "/_sim/integration-keys", {"name": "chosen", "key": "ik_mine"}, 422),
    ("post", "/_sim/integration-keys", ["name"], 422),
    ("delete", "/_sim/integration-keys/key_missing", None, 404),
    ("delete", "/_sim/integration-keys/" + "k" * 3000, None, 404),
    ("get", "/payments/redirect/forged", None, 404),
    ("get", "/payments/redirect/" + "x" * 3000, None, 404),
    ("post", "/payments/redirect/forged/approve", None, 404),
]


def state(sim):
    store = sim.store
    return (store.generation, store.last_seq(PRODUCT), store.count(PRODUCT), store.values(PRODUCT), sim.clock.describe()["offset_seconds"],
            store.values(SUBSCRIPTION), store.values(INTEGRATION_KEY))


@pytest.mark.parametrize("method, url, body, status", HOSTILE)
def test_bad_request_is_refused_and_changes_nothing(client, sim, frozen, method, url, body, status):
    url = url.replace(PID, sim.store.values(PRODUCT)[0].id)
    before = state(sim)
    kwargs = {"json": body} if body is not None else {}
    assert_problem(getattr(client, method)(url, **kwargs), status)
    assert state(sim) == before


def test_a_page_far_past_the_end_is_empty_not_an_error(client):
    response = client.get("/api/v1/products?page=99999999999999999999999")
    assert response.status_code == 200 and response.get_json() == []


def test_stale_if_match_on_a_product_edit_is_412_and_changes_nothing(client, sim):
    product = sim.store.values(PRODUCT)[0]
    before = state(sim)
    for header in ('"999"', "garbage", 'W/"0"'):
        response = client.patch(f"/_sim/products/{product.id}", json={"stock": 1}, headers={"If-Match": header})
        assert_problem(response, 412)
    assert state(sim) == before
    ok = client.patch(f"/_sim/products/{product.id}", json={"stock": 1}, headers={"If-Match": f'"{product.version}"'})
    assert ok.status_code == 200 and ok.headers["ETag"] == f'"{product.version + 1}"'


query_values = st.one_of(st.text(max_size=30), st.integers(-10**20, 10**20).map(str), st.sampled_from(["", "nan", "inf", "1e400", "-0", "true"]))
endpoints = st.sampled_from(["/api/v1/products", "/api/v1/catalog/export", "/api/v1/catalog/changes", "/api/v1/categories"])
params = st.dictionaries(st.sampled_from(["page", "page_size", "q", "min_price", "max_price", "in_stock", "sort", "category", "cursor", "limit", "since"]), query_values, max_size=5)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(endpoint=endpoints, query=params)
def test_no_query_string_reaches_a_server_error(client, endpoint, query):
    response = client.get(endpoint, query_string=query)
    assert response.status_code < 500, response.get_data(as_text=True)
    if response.status_code >= 400:
        assert response.mimetype == "application/problem+json"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
bodies = st.one_of(json_values, st.fixed_dictionaries({}, optional={
    "name": json_values, "price": json_values, "category_ids": json_values, "stock": json_values,
    "attributes": json_values, "compare_at_price": json_values, "tax_rate": json_values,
}))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies, target=st.sampled_from(["post /_sim/products", "patch /_sim/products/{pid}", "post /_sim/clock", "post /_sim/reset"]))
def test_no_json_body_reaches_a_server_error(client, sim, body, target):
    method, url = target.split()
    url = url.replace(PID, sim.store.values(PRODUCT)[0].id)
    if target == "post /_sim/reset" and isinstance(body, dict) and "products" in body:
        body = {**body, "products": 5}  # keep reseeding cheap; its validation is tested above
    response = getattr(client, method)(url, json=body)
    assert response.status_code < 500, response.get_data(as_text=True)

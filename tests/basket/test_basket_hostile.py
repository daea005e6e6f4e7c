"""Hostile input on basket and promotion endpoints: 4xx problem+json, nothing changed."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.basket.model import BASKET
from simulator.promotions.rules import PROMOTION
from tests.helpers.problems import assert_problem
from tests.test_hostile_input import json_values


def snapshot(sim):
    return sim.store.values(BASKET), sim.store.values(PROMOTION)


@pytest.mark.parametrize("method, url, body, status", [
    ("post", "/api/v1/basket/items", {"product_id": "x", "quantity": 0}, 422),
    ("post", "/api/v1/basket/items", {"product_id": "x", "quantity": 1.5}, 422),
    ("post", "/api/v1/basket/items", {"product_id": "x", "quantity": "2"}, 422),
    ("post", "/api/v1/basket/items", {"product_id": "x", "quantity": -1}, 422),
    ("post", "/api/v1/basket/items", {"product_id": "x", "quantity": 10**20}, 422),
    ("post", "/api/v1/basket/items", {"quantity": 1}, 422),
    ("post", "/api/v1/basket/items", [], 422),
    ("patch", "/api/v1/basket/items/itm_nope", {"quantity": 1}, 404),
    ("patch", "/api/v1/basket/items/itm_nope", {"quantity": None}, 422),
    ("post", "/api/v1/basket/coupons", {"code": "a b"}, 422),
    ("post", "/api/v1/basket/coupons", {"code": ""}, 422),
    ("post", "/api/v1/basket/coupons", {"code": "X" * 100}, 422),
    ("delete", "/api/v1/basket/coupons/NOPE", None, 404),
    ("post", "/_sim/promotions", {"name": "x", "kind": "teleport"}, 422),
    ("post", "/_sim/promotions", {"name": "x", "kind": "basket_percent"}, 422),
    ("post", "/_sim/promotions", {"name": "x", "kind": "basket_percent", "percent": "150"}, 422),
    ("post", "/_sim/promotions", {"name": "x", "kind": "bundle_price", "product_ids": ["a"], "bundle_price": "5"}, 422),
    ("post", "/_sim/promotions", {"name": "x", "kind": "basket_amount", "amount": "5", "category_ids": ["cat_nope"]}, 422),
    ("post", "/_sim/promotions", {"name": "x", "kind": "basket_amount", "amount": "5", "coupon_code": "FLASH25"}, 409),
    ("post", "/_sim/promotions", {"name": "x", "kind": "tiered_spend", "tiers": [{"threshold": "50", "amount": "5"}, {"threshold": "20", "amount": "1"}]}, 422),
    ("post", "/_sim/promotions", {"name": "x", "kind": "basket_amount", "amount": "5", "starts_at": "2030-01-01T00:00:00"}, 422),
    ("put", "/_sim/promotions", {"promotions": [{"name": "x", "kind": "basket_amount", "amount": "5", "coupon_code": "DUP"}, {"name": "y", "kind": "basket_amount", "amount": "5", "coupon_code": "DUP"}]}, 409),
    ("put", "/_sim/promotions", {"promotions": [{"name": "x", "kind": "basket_amount", "amount": "5"}, {"name": "y", "kind": "line_percent", "percent": "5", "product_ids": ["prd_nope"]}]}, 422),
    ("delete", "/_sim/promotions/prm_nope", None, 404),
])
def test_bad_request_is_refused_and_changes_nothing(client, sim, guest, method, url, body, status):
    before = snapshot(sim)
    kwargs = {"json": body} if body is not None else {}
    assert_problem(getattr(client, method)(url, headers=guest, **kwargs), status)
    assert snapshot(sim) == before


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=json_values, target=st.sampled_from([
    "post /api/v1/basket/items", "patch /api/v1/basket/items/{line}", "post /api/v1/basket/coupons",
    "post /_sim/promotions", "put /_sim/promotions", "post /api/v1/auth/login",
]))
def test_no_body_reaches_a_server_error(client, sim, guest, body, target):
    method, url = target.split()
    response = getattr(client, method)(url.replace("{line}", "itm_x"), json=body, headers=guest)
    assert response.status_code < 500, response.get_data(as_text=True)

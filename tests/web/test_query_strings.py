"""Query strings: a parameter a route does not document answers 422, never silently ignored;
paginated lists take `page` and `page_size`; every list that can grow is paginated."""

from __future__ import annotations

import json
import re

import pytest

from simulator.catalog.model import PRODUCT
from simulator.http.blueprints import Blueprint
from tests.helpers.problems import assert_problem


def test_a_parameter_a_route_does_not_take_answers_422(client):
    """Found in review: `/products?limit=3` answered 20 products."""
    body = assert_problem(client.get("/api/v1/products?limit=3"), 422, "VALIDATION_FAILED")
    assert body["errors"] == {"limit": "Unknown field."}
    assert_problem(client.get("/api/v1/catalog/export?page=2"), 422)  # a cursor feed has no pages


def _strict_rules(app):
    for rule in app.url_map.iter_rules():
        blueprint = app.blueprints.get(rule.endpoint.rpartition(".")[0])
        if isinstance(blueprint, Blueprint) and blueprint.strict_query:
            yield rule


def _url(rule) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"x_\1", rule.rule)


def test_every_webservice_and_control_refuses_unknown_query_parameters(app):
    client = app.test_client()
    checked = 0
    for rule in _strict_rules(app):
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(_url(rule) + "?surprise=1", method=method, json={})
            assert_problem(response, 422, "VALIDATION_FAILED")
            assert response.get_json()["errors"] == {"surprise": "Unknown field."}, rule.rule
            checked += 1
    assert checked > 50


def test_paginated_lists_take_page_and_page_size(app):
    client = app.test_client()
    paginated = [rule for rule in _strict_rules(app) if "pagination" in getattr(app.view_functions[rule.endpoint], "_apidoc", {})]
    assert {rule.rule for rule in paginated} >= {"/api/v1/products", "/api/v1/orders", "/api/v1/promotions", "/api/v1/webhooks",
                                                 "/_sim/promotions", "/_sim/outbox"}
    key = client.post("/_sim/integration-keys", json={"name": "lists"}).get_json()["key"]
    for rule in paginated:
        # Webhook calls carry an integration key; baskets and orders a guest token.
        headers = {"Authorization": f"Bearer {key}"} if rule.rule.startswith("/api/v1/webhooks") else {"X-Basket-Token": "any"}
        response = client.get(rule.rule + "?page=1&page_size=1", headers=headers)
        assert response.status_code == 200, (rule.rule, response.get_data(as_text=True))
        assert len(response.get_json()) <= 1 and "total" in json.loads(response.headers["X-Pagination"])


def test_promotions_are_paginated(client):
    everything = client.get("/api/v1/promotions?page_size=100").get_json()
    first = client.get("/api/v1/promotions?page_size=2")
    assert first.get_json() == everything[:2] and json.loads(first.headers["X-Pagination"])["total"] == len(everything)
    rules = client.get("/_sim/promotions?page=2&page_size=1")
    assert rules.get_json() == client.get("/_sim/promotions").get_json()[1:2]


def test_pages_and_images_ignore_query_strings_they_do_not_read(client, sim):
    product = sim.store.values(PRODUCT)[0]
    assert client.get(f"/media/products/{product.id}/1.svg?v=2").status_code == 200


@pytest.mark.parametrize("url", ["/_sim/outbox?surprise=1", "/_sim/clock?surprise=1"])
def test_the_admin_token_is_asked_for_before_the_query_is_looked_at(make_app, url):
    client = make_app(admin_token="sekrit").test_client()
    assert client.get(url).status_code == 401

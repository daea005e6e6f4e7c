"""Authentication is structural: every view that reads the customer carries
`@requires_customer`, which answers 401 before the body is even parsed."""

from __future__ import annotations

import pytest

from simulator.customers.auth import current_customer
from tests.helpers.accounts import bearer, register
from tests.helpers.problems import assert_problem

#: What a view calls when it acts for the authenticated customer.
CUSTOMER_READERS = {"current_customer", "bearer_token", "bearer_digest"}
BAD_BODY = {"first_name": 7, "current_password": [], "line1": {}, "no_such_field": True}


def _innermost(view):
    while hasattr(view, "__wrapped__"):
        view = view.__wrapped__
    return view


def _authenticated_routes(app) -> list[tuple[str, str, bool]]:
    """(method, url, parses a body) of every route under @requires_customer, path arguments filled in."""
    routes = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if getattr(view, "requires_customer", False):
            url = rule.rule
            for argument in rule.arguments:
                url = url.replace(f"<{argument}>", "x_000000000000")
            routes += [(method, url, "arguments" in view._apidoc) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return routes


def test_every_view_that_reads_the_customer_requires_one(app):
    readers, unguarded = set(), []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if CUSTOMER_READERS & set(_innermost(view).__code__.co_names):
            readers.add(rule.endpoint)
            if not getattr(view, "requires_customer", False):
                unguarded.append(rule.endpoint)
    assert unguarded == []
    assert len(readers) >= 9  # the probe found the customer routes: it looks where they are


def test_reading_the_customer_without_the_decorator_fails_loudly(app, client, caplog):
    app.add_url_rule("/probe", "probe", lambda: current_customer().id)
    token, _ = register(client)
    assert_problem(client.get("/probe", headers=bearer(token)), 500, "INTERNAL_ERROR")
    assert "lacks @requires_customer" in caplog.text


def test_every_authenticated_route_answers_401_before_422(app, client):
    routes = _authenticated_routes(app)
    assert sum(parses for _, _, parses in routes) >= 4
    for method, url, parses_a_body in routes:
        assert_problem(client.open(url, method=method, json=BAD_BODY), 401, "AUTHENTICATION_REQUIRED")
        token, _ = register(client)  # a fresh one each time: one of the routes is logout
        authenticated = client.open(url, method=method, json=BAD_BODY, headers=bearer(token))
        if parses_a_body:  # the body was bad indeed: authentication went first
            assert_problem(authenticated, 422, "VALIDATION_FAILED")
        else:
            assert authenticated.status_code != 401


@pytest.mark.parametrize("body", ["{broken", "[]", '{"line1": 5}'])
def test_an_unauthenticated_caller_learns_nothing_about_the_body(client, body):
    response = client.post("/api/v1/customers/me/addresses", data=body, content_type="application/json")
    assert_problem(response, 401, "AUTHENTICATION_REQUIRED")


def test_the_openapi_document_shows_which_routes_need_a_bearer_token(app, client):
    document = client.get("/openapi.json").get_json()
    paths = document["paths"]
    for method, url, _ in _authenticated_routes(app):
        operation = paths[url.replace("x_000000000000", "{address_id}")][method.lower()]
        assert operation["security"] == [{"bearerAuth": []}]
        unauthorized = document["components"]["responses"][operation["responses"]["401"]["$ref"].rsplit("/", 1)[-1]]
        assert unauthorized["content"]["application/problem+json"]["schema"] == {"$ref": "#/components/schemas/Problem"}
    assert "security" not in paths["/api/v1/auth/login"]["post"]

"""Every failure answers problem+json with a stable code; no traceback reaches a client."""

from simulator.http.errors import flatten_messages
from tests.helpers.problems import assert_problem


def test_unknown_route(client):
    assert_problem(client.get("/api/v1/nothing-here"), 404, "ROUTE_NOT_FOUND")


def test_wrong_method_names_the_allowed_ones(client):
    response = client.put("/api/v1/categories")
    assert_problem(response, 405, "METHOD_NOT_ALLOWED")
    assert "GET" in response.headers["Allow"]


def test_malformed_json(client):
    response = client.post("/_sim/products", data='{"name": ', content_type="application/json")
    assert_problem(response, 400, "MALFORMED_JSON")


def test_validation_failures_map_fields_to_messages(client):
    body = assert_problem(client.post("/_sim/products", json={"name": 5, "price": "abc"}), 422, "VALIDATION_FAILED")
    assert set(body["errors"]) >= {"name", "price", "category_ids"}


def test_unexpected_exception_is_a_problem_without_traceback(make_app):
    app = make_app()

    @app.route("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom")
    body = assert_problem(response, 500, "INTERNAL_ERROR")
    assert "secret" not in response.get_data(as_text=True) and "Traceback" not in body["detail"]


def test_oversized_body_is_refused(client):
    response = client.post("/_sim/products", data="x" * (2 * 1024 * 1024), content_type="application/json")
    assert_problem(response, 413, "PAYLOAD_TOO_LARGE")


def test_flatten_messages_drops_the_location_level_and_joins_messages():
    messages = {"json": {"address": {"city": ["Missing data."]}, "_schema": ["Bad."]}, "query": {"page": ["Too big.", "Odd."]}}
    assert flatten_messages(messages) == {"address.city": "Missing data.", "_body": "Bad.", "page": "Too big. Odd."}

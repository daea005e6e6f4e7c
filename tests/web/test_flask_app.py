"""SimulatorFlask's shortcuts answer as Flask's own path would: a kept URL binding serves
only requests of the same bound values, and no request keeps a session."""

from __future__ import annotations

import pytest
from flask import request, session, url_for

from simulator.http.flask_app import SimulatorFlask


@pytest.fixture
def tiny():
    app = SimulatorFlask(__name__)

    @app.route("/things/<thing>", methods=["GET"])
    def thing(thing: str):
        return {"thing": thing, "self": url_for("thing", thing=thing, _external=True), "host": request.host,
                "query": request.query_string.decode()}

    @app.route("/session")
    def write_session():
        session["x"] = 1
        return {}

    return app


def test_requests_alike_but_for_one_bound_value_each_get_their_own_binding(tiny):
    client = tiny.test_client()
    for _ in range(2):  # the second time round, from kept bindings
        assert client.get("/things/a", headers={"Host": "one.test"}).get_json() == {
            "thing": "a", "self": "http://one.test/things/a", "host": "one.test", "query": ""}
        assert client.get("/things/a?x=1", headers={"Host": "two.test:8080"}).get_json() == {
            "thing": "a", "self": "http://two.test:8080/things/a", "host": "two.test:8080", "query": "x=1"}
        assert client.get("/things/b", base_url="https://one.test/shop").get_json()["self"] == "https://one.test/shop/things/b"
        assert client.post("/things/a", headers={"Host": "one.test"}).status_code == 405
        assert client.get("/things/a/", headers={"Host": "one.test"}).status_code == 404


def test_no_request_keeps_a_session(tiny):
    tiny.config["PROPAGATE_EXCEPTIONS"] = True
    with pytest.raises(RuntimeError, match="session is unavailable"):
        tiny.test_client().get("/session")


def test_a_function_found_plain_is_let_through_without_flasks_check(tiny, monkeypatch):
    def plain():
        return None

    assert tiny.ensure_sync(plain) is plain
    checked = []
    monkeypatch.setattr("flask.Flask.ensure_sync", lambda self, func: checked.append(func) or func)
    assert tiny.ensure_sync(plain) is plain and checked == []

"""The simulator's Response hands the server the same status and headers as werkzeug's,
whether or not it skips werkzeug's copy of them."""

from __future__ import annotations

import pytest
from flask import Response
from werkzeug.test import create_environ

from simulator.http.flask_app import SimulatorResponse

CASES = {
    "json answer": dict(response=b'{"a":1}', headers={"ETag": '"3"'}, mimetype="application/json"),
    "problem": dict(response=b"{}", status=409, mimetype="application/problem+json"),
    "created, relative Location": dict(response=b"{}", status=201, headers={"Location": "/api/v1/basket/ü"}),
    "Content-Location": dict(response=b"{}", headers={"Content-Location": "/x/ü"}),
    "no content": dict(response=b"", status=204, mimetype="application/json"),
    "not modified": dict(response=b"", status=304, headers={"ETag": '"3"', "Content-Type": "application/json"}),
    "informational": dict(status=103, headers={"Link": "</a.css>; rel=preload"}),
    "streamed, no length": dict(response=iter([b"a", b"b"]), mimetype="application/x-ndjson"),
}


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("case", CASES)
def test_status_headers_and_body_are_werkzeugs(case: str, method: str):
    def answers(response_class: type[Response]):
        kwargs = dict(CASES[case])
        if "response" in kwargs and not isinstance(kwargs["response"], bytes):
            kwargs["response"] = iter([b"a", b"b"])  # a fresh iterator for each
        app_iter, status, headers = response_class(**kwargs).get_wsgi_response(create_environ("/x", method=method))
        return status, headers, b"".join(app_iter)

    assert answers(SimulatorResponse) == answers(Response)

"""Every operation of the OpenAPI document refuses bad input with an answer it documents.

The operations come from the document itself, so a new endpoint is covered the day it
is added. Each is called as its caller would (signed in where it needs a customer, with
the admin token where the simulator has one) with the first bad input it takes: a
malformed body, else an unknown id, else an invalid query parameter, else a bad
`X-Sim-Latency` (a wrong admin token for a simulator control, a foreign `Host` for a
page). tests/helpers/contract.py checks each answer against the document.
"""

from __future__ import annotations

import pytest

from simulator import create_app
from tests.helpers.apps import SMALL
from tests.helpers.problems import assert_problem
from tests.helpers.shopping import register_shopper

ADMIN = "s3cret-admin-token"
METHODS = ("get", "put", "post", "delete", "patch")
#: Path parameters that must take a value of a set to reach the operation at all.
PATH_VALUES = {"number": "1", "choice": "approve"}


@pytest.fixture(scope="module")
def app(make_app):
    return make_app(admin_token=ADMIN)


def _operations():
    document = create_app({**SMALL, "products": 0}).test_client().get("/openapi.json").get_json()
    return [
        pytest.param(path, method, operation, id=operation["operationId"])
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def _credentials(client, operation: dict) -> dict:
    schemes = {name for requirement in operation.get("security", ()) for name in requirement}
    if "adminToken" in schemes:
        return {"Authorization": f"Bearer {ADMIN}"}
    if "bearerAuth" in schemes:
        return register_shopper(client)
    return {}


@pytest.mark.parametrize(("path", "method", "operation"), _operations())
def test_every_operation_refuses_bad_input_as_documented(app, path, method, operation):
    client = app.test_client()
    headers = _credentials(client, operation)
    parameters = [p for p in operation.get("parameters", ()) if "$ref" not in p]
    url = path
    for parameter in (p for p in parameters if p["in"] == "path"):
        url = url.replace("{%s}" % parameter["name"], PATH_VALUES.get(parameter["name"], "nope"))
    query, where = {}, {}
    if "requestBody" in operation:
        kwargs = {"data": b'{"unfinished": ', "content_type": "application/json"}
    elif url != path:
        kwargs = {}
    elif any(p["in"] == "query" for p in parameters):
        kwargs, query = {}, {"page": "0", "limit": "0", "since": "", "recipient": ""}
    elif {"$ref": "#/components/parameters/XSimLatency"} in operation.get("parameters", ()):
        kwargs, headers = {}, {**headers, "X-Sim-Latency": "soon", "X-Sim-Token": ADMIN}
    elif path.startswith("/_sim"):
        kwargs, headers = {}, {"Authorization": "Bearer not-the-admin-token"}
    else:  # a page that takes nothing: asked for under a name that is not the simulator's (DNS rebinding)
        kwargs, where = {}, {"base_url": "http://rebound.example"}
    response = client.open(url, method=method.upper(), headers=headers, query_string=query, **where, **kwargs)
    body = assert_problem(response, response.status_code)
    assert 400 <= response.status_code < 500, body

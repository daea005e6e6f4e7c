"""The OpenAPI document (`/openapi.json`) is a contract a frontend can generate a client from.

It is valid OpenAPI; its numbers are numbers; every schema has an example that keeps
it; every operation has a readable, unique operationId and the security it needs;
every error is problem+json; `alegra-sim export-openapi` writes what the server
serves. That every answer keeps it is tests/helpers/contract.py's part; the last test here
checks that the suite reached every operation.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Response
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

from simulator import cli
from simulator.basket.callers import BASKET_TOKEN as BASKET_TOKEN_HEADER
from simulator.errors import PROBLEM_JSON
from simulator.http.blueprints import json_response
from simulator.http.openapi import ADMIN_SECURITY, CALLER_SECURITY, SECURITY_SCHEMES
from tests.helpers import contract

ROOT = Path(__file__).resolve().parent.parent
METHODS = ("get", "put", "post", "delete", "patch")
#: The first word of every operationId: what it does, as a client method reads.
VERBS = {
    "add", "answer", "apply", "browse", "cancel", "change", "clear", "confirm", "create", "delete", "empty", "export",
    "forgot", "get", "issue", "list", "login", "logout", "mark", "open", "patch", "pay", "place", "receive", "register",
    "remove", "replace", "reset", "revoke", "run", "set", "show",
}


@pytest.fixture(scope="module")
def document(make_app) -> dict:
    return make_app().test_client().get("/openapi.json").get_json()


def operations(document: dict):
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def answer(document: dict, operation: dict, status: str) -> dict:
    """An operation's documented answer, a shared one (`$ref`) followed."""
    response = operation["responses"][status]
    return document["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]] if "$ref" in response else response


def walk(node, where=""):
    """Every (JSON pointer, mapping) of the document."""
    if isinstance(node, dict):
        yield where, node
        for key, value in node.items():
            yield from walk(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, f"{where}/{index}")


def test_the_document_is_valid_openapi(document):
    validate(document)


def test_range_limits_are_numbers(document):
    limits = [(where, key, node[key]) for where, node in walk(document)
              for key in ("minimum", "maximum", "x-minimum", "x-maximum") if key in node]
    assert limits  # min_price, price, tax_rate, page_size, …
    assert [limit for limit in limits if isinstance(limit[2], (str, bool))] == []


def test_money_amounts_are_decimal_strings(document):
    price = document["components"]["schemas"]["ProductWrite"]["properties"]["price"]
    assert price["type"] == "string" and price["format"] == "decimal"
    assert (price["x-minimum"], price["x-maximum"]) == (0.01, 1000000)
    assert re.fullmatch(price["pattern"], price["example"])
    min_price = next(p for p in document["paths"]["/api/v1/products"]["get"]["parameters"] if p.get("name") == "min_price")
    assert min_price["schema"] == {"type": "number", "minimum": 0, "maximum": 1000000000, "example": 10}


def test_operation_ids_are_unique_readable_camel_case(document):
    ids = [operation["operationId"] for _, _, operation in operations(document)]
    assert len(ids) == len(set(ids))
    assert [name for name in ids if not re.fullmatch(r"[a-z]+(?:[A-Z][a-z0-9]*)*", name)] == []
    assert sorted({re.match("[a-z]+", name).group() for name in ids} - VERBS) == []
    assert {"getProduct", "addBasketItem", "placeOrder", "registerCustomer", "resetSimulator"} <= set(ids)


def test_each_operation_is_secured_as_its_callers_are(document):
    assert set(document["components"]["securitySchemes"]) == set(SECURITY_SCHEMES)
    assert document["components"]["securitySchemes"]["basketToken"]["name"] == BASKET_TOKEN_HEADER
    for path, method, operation in operations(document):
        security = operation.get("security")
        if path.startswith("/_sim"):
            assert security == ADMIN_SECURITY, (method, path)
        elif path == "/api/v1/baskets":  # anyone may start a guest basket
            assert not security
        elif path.startswith(("/api/v1/basket", "/api/v1/checkout", "/api/v1/orders")):
            assert security == CALLER_SECURITY, (method, path)
        elif path.startswith("/api/v1/customers/me") or path in ("/api/v1/auth/logout",):
            assert security == [{"bearerAuth": []}], (method, path)
        elif path.startswith("/api/v1/webhooks"):  # an integration's, not a shopper's
            assert security == [{"integrationKey": []}], (method, path)
        else:
            assert not security, (method, path)
        if security:
            assert "401" in operation["responses"], (method, path)


def test_every_error_is_problem_json_and_nothing_is_left_to_a_default(document):
    problem = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path, method, operation in operations(document):
        assert "default" not in operation["responses"], (method, path)
        for status in operation["responses"]:
            if int(status) >= 400:
                assert answer(document, operation, status)["content"] == problem, (method, path, status)


def test_the_headers_of_the_contract_are_documented_where_they_are_used(document):
    def parameters(path, method):
        return {p["$ref"].rsplit("/", 1)[-1] for p in document["paths"][path][method].get("parameters", ()) if "$ref" in p}

    def headers(path, method, status):
        return set(answer(document, document["paths"][path][method], status).get("headers", {}))

    assert {"IfMatch", "XSimLatency", "XSimFault", "XSimToken"} <= parameters("/api/v1/basket/items", "post")
    assert "IfNoneMatch" in parameters("/api/v1/products/{product_id}", "get")
    assert "IdempotencyKey" in parameters("/api/v1/checkout/{checkout_id}/order", "post")
    assert not parameters("/_sim/reset", "post") & {"XSimLatency", "XSimFault"}  # the controls are never delayed
    assert {"ETag", "X-Sim-Latency-Ms", "X-Sim-Injected"} <= headers("/api/v1/basket/items", "post", "200")
    assert {"Location", "ETag", "Idempotent-Replayed"} <= headers("/api/v1/checkout/{checkout_id}/order", "post", "201")
    assert "X-Pagination" in headers("/api/v1/orders", "get", "200")
    assert {"Retry-After", "X-Sim-Injected"} <= headers("/api/v1/products", "get", "503")
    assert "Retry-After" in headers("/api/v1/auth/login", "post", "429")
    assert "WWW-Authenticate" in headers("/_sim/stats", "get", "401")
    export = document["paths"]["/api/v1/catalog/export"]["get"]["responses"]["200"]["content"]
    assert set(export) == {"application/json", "application/x-ndjson"}
    image = document["paths"]["/media/products/{product_id}/{number}.svg"]["get"]["responses"]["200"]["content"]
    assert set(image) == {"image/svg+xml"}


def composed_example(document: dict, schema: dict, within: tuple[str, ...] = ()):
    """A schema's example: its own, else composed from its parts' (refs followed, a recursive one ends a list)."""
    if "example" in schema:
        return schema["example"]
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return composed_example(document, document["components"]["schemas"][name], (*within, name))
    for combined in ("allOf", "anyOf", "oneOf"):
        for alternative in schema.get(combined, ()):
            try:
                return composed_example(document, alternative, within)
            except LookupError:  # such as the `{"type": "object", "nullable": true}` of a nullable object
                continue
    if schema.get("type") == "array" and "items" in schema:
        recursive = schema["items"].get("$ref", "").rsplit("/", 1)[-1] in within
        return [] if recursive else [composed_example(document, schema["items"], within)]
    if "properties" in schema:
        return {name: composed_example(document, inner, within) for name, inner in schema["properties"].items()}
    if isinstance(schema.get("additionalProperties"), dict):
        return {"key": composed_example(document, schema["additionalProperties"], within)}
    raise LookupError("no example")


def test_every_schema_has_an_example_that_keeps_it(document):
    missing, wrong = [], []
    for name, schema in document["components"]["schemas"].items():
        for field, inner in schema.get("properties", {}).items():
            try:
                composed_example(document, inner, (name,))
            except LookupError:
                missing.append(f"{name}.{field}")
        if missing:
            continue
        validator = OAS30Validator({**schema, "components": document["components"]})
        example = composed_example(document, {"$ref": f"#/components/schemas/{name}"})
        wrong += [f"{name}: {error.message}" for error in validator.iter_errors(example)]
    assert missing == []
    assert wrong == []


def test_every_parameter_and_header_example_keeps_its_schema(document):
    components = document["components"]
    inline = [(f"{operation['operationId']} {p['name']}", p) for _, _, operation in operations(document)
              for p in operation.get("parameters", ()) if "$ref" not in p]
    shared = [(f"#/components/{kind}/{name}", definition)
              for kind in ("parameters", "headers") for name, definition in components[kind].items() if "schema" in definition]
    checked, wrong = 0, []
    for where, definition in inline + shared:
        schema = definition["schema"]
        for key in ("example", "default"):
            if key in schema:
                checked += 1
                wrong += [f"{where} {key}: {e.message}" for e in OAS30Validator(schema).iter_errors(schema[key])]
    assert checked > len(shared)
    assert wrong == []


def test_the_ndjson_export_keeps_its_line_schema(client, document):
    response = client.get("/api/v1/catalog/export", headers={"Accept": "application/x-ndjson"})
    line = document["paths"]["/api/v1/catalog/export"]["get"]["responses"]["200"]["content"]["application/x-ndjson"]["schema"]
    validator = OAS30Validator({**line, "components": document["components"]})
    lines = response.get_data(as_text=True).splitlines()
    assert len(lines) > 1
    assert [error.message for text in lines for error in validator.iter_errors(json.loads(text))] == []


def test_export_openapi_writes_the_document_the_server_serves(document, tmp_path, capsys):
    """The command as a frontend team runs it (`python -m simulator` is `alegra-sim`), and to standard output."""
    written = tmp_path / "openapi.json"
    subprocess.run([sys.executable, "-m", "simulator", "export-openapi", "-o", str(written)], cwd=ROOT, check=True, timeout=120)
    assert json.loads(written.read_text(encoding="utf-8")) == document
    assert cli.main(["export-openapi"]) == 0
    assert json.loads(capsys.readouterr().out) == document


def test_the_contract_client_refuses_an_answer_that_drifts(make_app, monkeypatch):
    """tests/helpers/contract.py at work: each kind of drift fails the test that meets it."""
    app = make_app(products=0)
    client = app.test_client()
    for answer, drift in (
        (json_response([{"id": "prm_1", "name": "Ten off"}]), "required property"),  # fields missing
        (json_response([], headers={"ETag": '"1"'}), "header ETag is sent but not documented"),
        (json_response([], status=202), "Unknown response http status: 202"),
        (json_response([], headers={"X-Pagination": '{"total": "57"}'}), "X-Pagination"),  # paging metadata of the wrong type
        (json_response([], headers={"X-Pagination": "57"}), "X-Pagination"),  # or without the required totals
        (json_response([], headers={"X-Pagination": "{total: 57"}), "X-Pagination"),  # or not JSON
        (Response("[]", mimetype="text/plain"), "text/plain"),
    ):
        monkeypatch.setitem(app.view_functions, "promotions.list_promotions", lambda answer=answer: answer)
        with pytest.raises(contract.ContractViolation, match=re.escape(drift)) as caught:
            client.get("/api/v1/promotions")
        assert "listPromotions (GET /api/v1/promotions)" in str(caught.value)


@pytest.mark.contract_coverage
def test_the_suite_reached_every_operation_with_a_success_and_an_error():
    """Run last (conftest.py): the answers tests/helpers/contract.py validated, by operation."""
    if not contract.SUITE.whole:
        pytest.skip("needs the whole test suite")
    reached = contract.REACHED
    assert reached.operations
    never = sorted(reached.operations - set(reached.statuses))
    no_success = sorted(name for name, statuses in reached.statuses.items() if not any(s < 400 for s in statuses))
    no_error = sorted(name for name, statuses in reached.statuses.items() if not any(s >= 400 for s in statuses))
    assert (never, no_success, no_error) == ([], [], [])

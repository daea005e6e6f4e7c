"""Every answer the test suite receives keeps the OpenAPI document the simulator serves.

`ContractClient` is the Flask test client of the whole suite (conftest.py makes it
`Flask.test_client_class`). Each answer it receives is validated with openapi-core
against the app's own document: the operation (path and method), the status, the
content type, the documented headers (required ones present, values of their schema)
and the body. Beyond openapi-core, a drift a validator lets pass is caught too: a
contract header (ETag, Location, Retry-After, …) that an answer carries but its
status does not document.

Each validated answer is recorded by operationId and status, so the last test of a
whole-suite run (`tests/test_openapi.py`) can tell that every operation was reached,
with a success and with an error.

Not validated: answers of the real-server and browser tests (they use `requests` or
Chromium), HEAD and CORS preflight requests, routes outside the document (`/openapi.json`,
`/docs`, a route a test adds), and the body (only) of a streamed NDJSON export or of an
answer cut short by an injected `truncate` fault (tests/test_openapi.py checks the
NDJSON lines).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import flask_smorest
from flask import Flask
from flask.testing import FlaskClient
from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest
from openapi_core.deserializing.media_types.util import json_loads
from openapi_core.validation.response.exceptions import HeaderValidationError
from openapi_core.validation.response.validators import V30ResponseHeadersValidator
from werkzeug.exceptions import MethodNotAllowed, NotFound

from simulator.http.openapi import operation_id

NDJSON = "application/x-ndjson"
#: Response headers of the contract: an answer that carries one must document it.
CONTRACT_HEADERS = ("ETag", "Location", "X-Pagination", "Retry-After", "Idempotent-Replayed", "WWW-Authenticate",
                    "X-Sim-Injected", "X-Sim-Latency-Ms")


class ContractViolation(AssertionError):
    """An answer that does not keep the OpenAPI document."""


@dataclass
class Reached:
    """Which statuses each operation answered, over the whole session."""

    statuses: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    operations: set[str] = field(default_factory=set)  # every operationId of the documents seen


REACHED = Reached()


@dataclass
class Suite:
    """Whether this session runs the whole suite: only then must it reach every operation."""

    whole: bool = False


SUITE = Suite()
COVERAGE_MARK = "contract_coverage"


def arrange(items: list, root: Path) -> None:
    """Note whether every test module is collected, and put the coverage test last."""
    modules = {Path(item.path) for item in items}
    SUITE.whole = set(root.rglob("test_*.py")) <= modules
    items.sort(key=lambda item: item.get_closest_marker(COVERAGE_MARK) is not None)  # stable: the rest keep their order


class Document:
    """One served OpenAPI document, ready to validate answers against."""

    def __init__(self, text: str):
        self.spec = json.loads(text)
        options = {
            "spec_validator_cls": None,  # tests/test_openapi.py validates the document itself
            "extra_media_type_deserializers": {"application/problem+json": json_loads},
        }
        # $refs inlined (but for recursive ones): the validator follows a $ref slowly.
        inlined = {**self.spec, "paths": _inline_refs(self.spec["paths"], self.spec)}
        self.openapi = OpenAPI.from_dict(inlined, config=Config(**options))
        # For answers whose body must not be read: status, content type and headers only.
        self.without_body = OpenAPI.from_dict(inlined, config=Config(response_validator_cls=V30ResponseHeadersValidator, **options))
        self.operations: dict[str, tuple[str, str, dict]] = {
            operation["operationId"]: (path, method, operation)
            for path, item in self.spec["paths"].items()
            for method, operation in item.items()
            if isinstance(operation, dict) and "operationId" in operation
        }
        REACHED.operations.update(self.operations)

    def response(self, operation: dict, status: int) -> dict:
        """The documented answer of this status (a shared one followed), or {} when there is none."""
        answer = operation["responses"].get(str(status), {})
        if "$ref" in answer:
            answer = self.spec["components"]["responses"][answer["$ref"].rsplit("/", 1)[-1]]
        return answer


def _inline_refs(node, spec: dict, following: tuple[str, ...] = ()):
    """`node` with every local $ref replaced by what it names, except a ref back into itself."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if ref is None:
            return {key: _inline_refs(value, spec, following) for key, value in node.items()}
        if ref in following:
            return node
        target = spec
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]
        return _inline_refs(target, spec, (*following, ref))
    if isinstance(node, list):
        return [_inline_refs(value, spec, following) for value in node]
    return node


@lru_cache(maxsize=8)
def _document(text: str) -> Document:
    return Document(text)


def document_of(app: Flask) -> Document:
    """The app's document; apps with the same document share one validator."""
    cached = app.extensions.get("contract_document")
    if cached is None:
        api = app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
        cached = app.extensions["contract_document"] = _document(json.dumps(api.spec.to_dict(), sort_keys=True))
    return cached


def check(app: Flask, response) -> None:
    """Validate one answer of the test client against the app's document (raises ContractViolation)."""
    request = response.request
    if request.method in ("HEAD", "OPTIONS"):
        return
    try:
        endpoint, _ = app.url_map.bind("localhost").match(request.path, method=request.method)
    except (NotFound, MethodNotAllowed):
        return  # no route: answered by the error handlers (tests/test_errors.py holds those)
    if not isinstance(app.blueprints.get(endpoint.rpartition(".")[0]), flask_smorest.Blueprint):
        return  # not an operation: the document itself, its UI, a route a test added
    document = document_of(app)
    name = operation_id(endpoint)
    if name not in document.operations:
        raise ContractViolation(f"{request.method} {request.path}: the document has no operation {name}")
    path, method, operation = document.operations[name]
    where = f"{name} ({method.upper()} {path}) answered {response.status_code}"
    if method.upper() != request.method:
        raise ContractViolation(f"{where}: the document has it as {method.upper()}")

    documented = document.response(operation, response.status_code)
    problems = _undocumented_headers(response, documented)
    openapi_request = _Request(request)
    if response.mimetype == NDJSON or response.headers.get("X-Sim-Injected") == "truncate":
        if response.mimetype not in documented.get("content", {}):
            problems.append(f"content type {response.mimetype} is not documented")
        errors = document.without_body.iter_response_errors(openapi_request, _Answer(response, body=b""))
    else:
        errors = document.openapi.iter_response_errors(openapi_request, _Answer(response))
    problems += [line for error in errors for line in _describe(error)]
    if problems:
        raise ContractViolation(f"{where}, which does not keep the OpenAPI document:\n  " + "\n  ".join(problems))
    REACHED.statuses[name].add(response.status_code)


class _Request(WerkzeugOpenAPIRequest):
    """The request as openapi-core reads it, to find the operation: the app has read its body."""

    body = None


class _Answer:
    """A test response as openapi-core reads it; `body` replaces one that must not be read."""

    def __init__(self, response, body: bytes | None = None):
        self.response = response
        self.data = response.get_data() if body is None else body
        self.status_code = response.status_code
        self.content_type = response.mimetype
        self.headers = response.headers


def _undocumented_headers(response, documented: dict) -> list[str]:
    return [
        f"header {name} is sent but not documented for {response.status_code}"
        for name in CONTRACT_HEADERS
        if name in response.headers and name not in documented.get("headers", {})
    ]


def _describe(error: Exception) -> list[str]:
    """openapi-core's error (naming the header it is about); for a schema mismatch, each
    schema error with where it is."""
    kind = type(error).__name__ + (f" {error.name}" if isinstance(error, HeaderValidationError) else "")
    schema_errors = getattr(error, "schema_errors", None) or getattr(error.__cause__, "schema_errors", None)
    if not schema_errors:
        return [f"{kind}: {_text(error.__cause__ or error)}"]
    return [f"{kind} at /{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in schema_errors]


def _text(error: Exception) -> str:
    try:
        return str(error)
    except Exception:  # openapi-core 0.23's MediaTypeDeserializeError cannot print a str value (a header's)
        return repr(error)


class ContractClient(FlaskClient):
    """Flask's test client, checking every answer against the OpenAPI document."""

    def open(self, *args, **kwargs):
        response = super().open(*args, **kwargs)
        check(self.application, response)
        return response

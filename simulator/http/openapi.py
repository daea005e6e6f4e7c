"""The OpenAPI document (`/openapi.json`) as the contract a frontend generates clients from.

flask-smorest documents each route from its decorators. This module completes that
into a document every answer keeps:

- `SimulatorApi` declares the security schemes, the shared request and response
  headers (as components), no catch-all `default` answer, and Decimal limits as
  JSON numbers (`decimal_properties`);
- `ContractPlugin` makes one pass over every operation and adds what operations of
  a kind share, so no route repeats it: an `operationId` from the view function's
  name; the statuses every body, query, webservice or control route can answer (400,
  413, 415, 422, 401 of its security, injected faults, the guards); what a request
  header a route reads implies (`If-Match` → 412, `If-None-Match` → 304,
  `Idempotency-Key` → 409/422 and `Idempotent-Replayed`); `ETag` on every answer that
  is one versioned resource; the headers the simulation adds; and
  `application/problem+json` with the Problem schema on every error. An error answer
  that operations share word for word is one component (`#/components/responses/…`).

A route declares only what is its own: its answers, and the request headers it reads
(`@blp.doc(parameters=[IF_MATCH])`). Blueprints declare who may call them (`security`).
"""

from __future__ import annotations

import copy
import http
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from apispec import BasePlugin
from flask_smorest import Api
from marshmallow import Schema, fields

from simulator.errors import PROBLEM_JSON
from simulator.idempotency import HEADER as IDEMPOTENCY_HEADER
from simulator.idempotency import KEY_MAX_LENGTH
from simulator.schemas import ProblemSchema
from simulator.simulation.groups import group_for_path

PROBLEM = "Problem"

# -- security -----------------------------------------------------------------------------------------
BEARER, BASKET_TOKEN, ADMIN_TOKEN, INTEGRATION_KEY = "bearerAuth", "basketToken", "adminToken", "integrationKey"
SECURITY_SCHEMES = {
    BEARER: {"type": "http", "scheme": "bearer", "description": "A customer's token, from registration or login."},
    BASKET_TOKEN: {
        "type": "apiKey", "in": "header", "name": "X-Basket-Token",
        "description": "A guest basket's token, from `POST /api/v1/baskets`: a guest's alternative to a customer's bearer token.",
    },
    ADMIN_TOKEN: {
        "type": "http", "scheme": "bearer",
        "description": "The admin token, needed by every `/_sim` control when the simulator was started with one (SIM_ADMIN_TOKEN).",
    },
    INTEGRATION_KEY: {
        "type": "http", "scheme": "bearer",
        "description": "An integration key from `POST /_sim/integration-keys` (or the admin token): the webhook subscriptions.",
    },
}
#: A customer by bearer token, or a guest by basket token: the callers of baskets, checkouts and orders.
CALLER_SECURITY = [{BEARER: []}, {BASKET_TOKEN: []}]
#: The admin token, or nothing when the simulator runs without one.
ADMIN_SECURITY = [{ADMIN_TOKEN: []}, {}]
UNAUTHORIZED = {
    BEARER: "`AUTHENTICATION_REQUIRED`: no bearer token. `INVALID_TOKEN`: an unknown, revoked or expired one.",
    BASKET_TOKEN: "`AUTHENTICATION_REQUIRED`: neither a bearer token nor `X-Basket-Token`.",
    ADMIN_TOKEN: "`AUTHENTICATION_REQUIRED` or `INVALID_TOKEN`: the simulator runs with an admin token, and this request lacks it.",
    INTEGRATION_KEY: "`AUTHENTICATION_REQUIRED`: no key. `INVALID_TOKEN`: not an integration key.",
}

# -- request headers (parameter components) --------------------------------------------------------------
IF_MATCH, IF_NONE_MATCH, IDEMPOTENCY_KEY = "IfMatch", "IfNoneMatch", "IdempotencyKey"
SIM_LATENCY, SIM_FAULT, SIM_TOKEN = "XSimLatency", "XSimFault", "XSimToken"
PARAMETERS = {
    IF_MATCH: {
        "name": "If-Match", "schema": {"type": "string", "example": '"3"'},
        "description": "The ETag last seen: a stale one answers 412 `VERSION_MISMATCH` and changes nothing. "
        "Without it (or with `*`) the change applies to whatever is current.",
    },
    IF_NONE_MATCH: {
        "name": "If-None-Match", "schema": {"type": "string", "example": '"3"'},
        "description": "The ETag last seen: while it is still current, the answer is 304 with no body.",
    },
    IDEMPOTENCY_KEY: {
        "name": IDEMPOTENCY_HEADER, "schema": {"type": "string", "maxLength": KEY_MAX_LENGTH, "example": "9b1d4f3e-order-1"},
        "description": "Retry safely: the same key with the same body answers the first result again "
        "(`Idempotent-Replayed: true`); with another body 422 `IDEMPOTENCY_KEY_REUSED`.",
    },
    SIM_LATENCY: {
        "name": "X-Sim-Latency", "schema": {"type": "string", "example": "250ms"},
        "description": "Delay this one answer: a duration (`250ms`, `1.5s`) or a latency profile's name.",
    },
    SIM_FAULT: {
        "name": "X-Sim-Fault", "schema": {"type": "string", "example": "503"},
        "description": "Fail this one request: an error status (429, 500, 502, 503, 504), `timeout`, `reset`, "
        "`truncate`, or a domain fault (`card_declined`, `sold_out`, `price_changed`).",
    },
    SIM_TOKEN: {
        "name": "X-Sim-Token", "schema": {"type": "string", "example": "s3cret-admin-token"},
        "description": "The admin token, which `X-Sim-*` headers need when the simulator runs with one.",
    },
}
#: What a request header a route reads implies for its answers: {header: {status: why}}.
HEADER_ANSWERS: dict[str, dict[int, str]] = {
    IF_MATCH: {412: "`VERSION_MISMATCH`: `If-Match` names a version that is not current (`current_version` says which is)."},
    IF_NONE_MATCH: {304: "Not modified: `If-None-Match` names the current ETag."},
    IDEMPOTENCY_KEY: {
        409: "`IDEMPOTENCY_KEY_IN_USE`: a request with this key is still running; retry after `Retry-After`.",
        422: "`IDEMPOTENCY_KEY_REUSED`: this key came before with another body.",
    },
}

# -- response headers (header components) ----------------------------------------------------------------
#: Header name → (component id, its definition). Every answer of the kinds that carry one is
#: documented with it by the plugin; `required` ones are on every such answer.
HEADERS = {
    "ETag": ("ETag", {
        "description": "The resource's version, quoted; send it back as `If-Match`.", "required": True,
        "schema": {"type": "string", "example": '"3"'},
    }),
    "Location": ("Location", {
        "description": "Where the new resource lives.", "required": True,
        "schema": {"type": "string", "example": "/api/v1/orders/ord_5x2k9m1q0c7d"},
    }),
    "Retry-After": ("RetryAfter", {
        "description": "Seconds to wait before trying again.", "required": True, "schema": {"type": "integer", "minimum": 0, "example": 1},
    }),
    "Idempotent-Replayed": ("IdempotentReplayed", {
        "description": "`true` when this is the stored answer of an earlier request with the same `Idempotency-Key`.",
        "schema": {"type": "string", "enum": ["true"], "example": "true"},
    }),
    "WWW-Authenticate": ("WWWAuthenticate", {
        "description": "The authentication challenge (RFC 6750).", "required": True,
        "schema": {"type": "string", "example": 'Bearer realm="alegra-sim"'},
    }),
    "X-Sim-Injected": ("XSimInjected", {
        "description": "The fault the simulator injected into this answer (`503`, `timeout`, `truncate`, …).",
        "schema": {"type": "string", "example": "truncate"},
    }),
    "X-Sim-Latency-Ms": ("XSimLatencyMs", {
        "description": "The delay the simulator added, in milliseconds.", "schema": {"type": "string", "example": "250.0"},
    }),
}
class PaginationMetadataSchema(Schema):
    """What `X-Pagination` holds (flask-smorest's paging metadata): no pages of an empty
    list, and no `page` past the last one."""

    total = fields.Integer(required=True, metadata={"example": 57})
    total_pages = fields.Integer(required=True, metadata={"example": 3})
    first_page = fields.Integer(metadata={"example": 1})
    last_page = fields.Integer(metadata={"example": 3})
    page = fields.Integer(metadata={"description": "Absent past the last page.", "example": 2})
    previous_page = fields.Integer(metadata={"description": "Absent on the first page.", "example": 1})
    next_page = fields.Integer(metadata={"description": "Absent on the last page.", "example": 3})


#: `headers=` of a route's answer that names the new resource.
LOCATION = {"Location": "Location"}
X_PAGINATION = {
    "description": "Paging metadata, as JSON: `total`, `total_pages`, `first_page`, `last_page`, `page`, `previous_page`, `next_page`.",
    "content": {"application/json": {"schema": PaginationMetadataSchema}},
}

# -- statuses every operation of a kind can answer --------------------------------------------------------
BODY_ANSWERS = {
    400: "`MALFORMED_JSON`: the body is not JSON (or nests too deeply).",
    413: "`PAYLOAD_TOO_LARGE`: the body is over 1 MiB.",
    415: "`UNSUPPORTED_MEDIA_TYPE`: the body is not sent as `application/json`.",
    422: "`VALIDATION_FAILED`: `errors` names each invalid field.",
}
QUERY_ANSWERS = {422: "`VALIDATION_FAILED`: `errors` names each invalid query parameter, or one the operation does not take."}
#: Set on an operation by its Blueprint when unknown query parameters answer 422; the plugin takes it off.
STRICT_QUERY = "x-strict-query"
INJECTED = "`INJECTED_FAULT`: a fault injected by the simulator (`X-Sim-Fault` or the fault config); `X-Sim-Injected` says which."
WEBSERVICE_ANSWERS = {
    400: "`INVALID_SIM_HEADER`: `X-Sim-Latency` or `X-Sim-Fault` has a value the simulator does not know.",
    403: "`HEADER_CONTROLS_OFF` or `SIM_TOKEN_REQUIRED`: `X-Sim-*` headers are turned off, or lack the admin token.",
    **{status: INJECTED for status in (429, 500, 502, 503, 504)},
}
CONTROL_ANSWERS = {403: "`CROSS_SITE_FORBIDDEN`: a browser page of another site called a simulator control."}
EVERY_ANSWER = {421: "`MISDIRECTED_REQUEST`: the `Host` is neither a loopback name nor one of SIM_ALLOWED_HOSTS."}
#: Response headers by status (besides the ones added by kind below).
STATUS_HEADERS = {401: ("WWW-Authenticate",), 429: ("Retry-After",), 503: ("Retry-After",)}


class SimulatorApi(Api):
    """flask-smorest's Api with this simulator's contract: problem+json errors, security,
    shared headers, and the ContractPlugin's pass over every operation."""

    ERROR_SCHEMA = ProblemSchema
    DEFAULT_ERROR_RESPONSE_NAME = None  # every status is documented; no catch-all answer

    def _init_spec(self, *, extra_plugins=None, **options):
        super()._init_spec(extra_plugins=[*(extra_plugins or ()), ContractPlugin()], **options)
        self.ma_plugin.converter.add_attribute_function(decimal_properties)
        components = self.spec.components
        if PROBLEM not in components.schemas:  # flask-smorest registers it for its own error answers
            components.schema(PROBLEM, schema=ProblemSchema)
        for name, scheme in SECURITY_SCHEMES.items():
            components.security_scheme(name, scheme)
        for name, parameter in PARAMETERS.items():
            components.parameter(name, "header", parameter)
        for component, header in HEADERS.values():
            components.header(component, header)

    def _register_pagination_header(self):
        # flask-smorest's own gives the header an object schema: JSON text is its `content`.
        self.spec.components.header("PAGINATION", X_PAGINATION, lazy=True)


def decimal_properties(self, field: fields.Field, ret: dict, **kwargs: Any) -> dict:
    """apispec attribute function: a Decimal field's range limits as JSON numbers (apispec
    keeps them as Decimals, which JSON writes as strings), and a Decimal sent as a string
    (`as_string`, such as a money amount) documented as a decimal string."""
    if not isinstance(field, fields.Decimal):
        return {}
    limits = {key.removeprefix("x-"): _number(ret.pop(key)) for key in ("minimum", "maximum", "x-minimum", "x-maximum") if key in ret}
    if not field.as_string:
        return limits
    return {
        "type": "string", "format": "decimal", "pattern": r"^\d+(\.\d+)?$",
        **{f"x-{key}": value for key, value in limits.items()},  # informative: a string has no numeric range
    }


def _number(value: Any) -> int | float:
    number = Decimal(str(value))
    return int(number) if number == number.to_integral_value() else float(number)


def operation_id(endpoint: str) -> str:
    """`basket.add_basket_item` → `addBasketItem`: the view function's name, in camelCase."""
    first, *rest = endpoint.rsplit(".", 1)[-1].split("_")
    return first + "".join(word.capitalize() for word in rest)


class ContractPlugin(BasePlugin):
    """One pass over every operation (see the module's docstring)."""

    def init_spec(self, spec) -> None:
        self.spec = spec
        self.shared: dict[str, dict] = {}  # component name → the answer it stands for

    def operation_helper(self, path: str | None = None, operations: dict | None = None, **kwargs: Any) -> None:
        rule = kwargs.get("rule")
        for operation in (operations or {}).values():
            if rule is not None:
                operation.setdefault("operationId", operation_id(rule.endpoint))
            self._complete(path or "", operation)

    def _complete(self, path: str, operation: dict) -> None:
        security = operation.get("security") or []
        schemes = [name for requirement in security for name in requirement]
        control = ADMIN_TOKEN in schemes  # the simulator controls, behind the admin guard
        webservice = not control and group_for_path(path) is not None
        reads = [parameter for parameter in operation.get("parameters", ()) if isinstance(parameter, str)]
        if webservice:
            operation.setdefault("parameters", []).extend(p for p in (SIM_LATENCY, SIM_FAULT, SIM_TOKEN) if p not in reads)

        # (label, {status: why}): what operations of a kind answer; the label names shared answers.
        generic: list[tuple[str, Mapping[int, str]]] = [("", EVERY_ANSWER)]
        if "requestBody" in operation:
            generic.append(("Body", BODY_ANSWERS))
        strict_query = operation.pop(STRICT_QUERY, False)
        if strict_query or any(isinstance(p, Mapping) and p.get("in") == "query" for p in operation.get("parameters", ())):
            generic.append(("Query", QUERY_ANSWERS))
        generic.extend((header, HEADER_ANSWERS[header]) for header in reads if header in HEADER_ANSWERS)
        if schemes:
            generic.append(("".join(name[0].upper() + name[1:] for name in schemes), {401: " ".join(UNAUTHORIZED[name] for name in schemes)}))
        if control or webservice:
            generic.append(("Control", CONTROL_ANSWERS) if control else ("Webservice", WEBSERVICE_ANSWERS))

        responses = {int(status): response for status, response in operation.get("responses", {}).items()}
        reasons = {status: _own_reason(status, responses.pop(status)) for status in list(responses) if status >= 400}
        own = {status for status, why in reasons.items() if why}  # what the route says of its own errors
        labels: dict[int, list[str]] = {}
        for label, answers in generic:
            for status, reason in answers.items():
                if status < 400:
                    responses.setdefault(status, {"description": reason})
                    continue
                reasons.setdefault(status, []).append(reason)
                labels.setdefault(status, []).append(label)
        for status, why in reasons.items():
            responses[status] = {
                "description": " ".join(dict.fromkeys(why)) or http.HTTPStatus(status).phrase,
                "content": {PROBLEM_JSON: {"schema": PROBLEM}},
            }
        for status, response in responses.items():
            self._add_headers(status, response, webservice=webservice, idempotent=IDEMPOTENCY_KEY in reads)
            if status in labels and status not in own:  # the same answer on many operations: one component, referred to
                kind = "".join(labels[status]) + ("Webservice" if webservice and "Webservice" not in labels[status] else "")
                responses[status] = self._shared_response(_camel(http.HTTPStatus(status).phrase) + kind, response)
        operation["responses"] = dict(sorted(responses.items()))

    def _shared_response(self, name: str, response: dict) -> dict:
        known = self.shared.setdefault(name, response)
        if known != response:  # a new kind of operation whose label says too little
            raise ValueError(f"two shared answers would be named {name}")
        if name not in self.spec.components.responses:
            self.spec.components.response(name, copy.deepcopy(response))
        return {"$ref": f"#/components/responses/{name}"}

    def _add_headers(self, status: int, response: dict, *, webservice: bool, idempotent: bool) -> None:
        headers: dict[str, Any] = response.setdefault("headers", {})
        wanted = list(STATUS_HEADERS.get(status, ()))
        if status == 304 or (200 <= status < 300 and self._versioned(response)):
            wanted.append("ETag")
        if idempotent and 200 <= status < 300:
            wanted.append("Idempotent-Replayed")
        if webservice:
            wanted += ["X-Sim-Latency-Ms", "X-Sim-Injected"]
        for name in wanted:
            headers.setdefault(name, None)
        for name in headers:
            if name in HEADERS:  # the shared definition, whatever the route wrote
                headers[name] = {"$ref": f"#/components/headers/{HEADERS[name][0]}"}
        if idempotent and status == 409:  # only while a duplicate runs (IDEMPOTENCY_KEY_IN_USE)
            headers["Retry-After"] = {**HEADERS["Retry-After"][1], "required": False}
        if not headers:
            del response["headers"]

    def _versioned(self, response: dict) -> bool:
        """The answer is one versioned resource (its schema has `version`), sent with its ETag."""
        schema = response.get("content", {}).get("application/json", {}).get("schema")
        ref = schema.get("$ref", "") if isinstance(schema, Mapping) else ""
        definition = self.spec.components.schemas.get(ref.rsplit("/", 1)[-1], {})
        return "version" in definition.get("properties", {})


def _camel(phrase: str) -> str:
    return "".join(word.capitalize() for word in re.findall(r"[A-Za-z]+", phrase))


def _own_reason(status: int, response: Any) -> list[str]:
    """What a route says of one of its error answers (a bare status phrase says nothing)."""
    if not isinstance(response, Mapping):
        return []
    description = response.get("description", "")
    return [] if not description or description == http.HTTPStatus(status).phrase else [description]

"""Every error becomes problem+json: the Flask error handlers (the HTTP side of errors.py).

Services raise `DomainError`; werkzeug and webargs raise HTTP exceptions; anything else
is a bug, logged, and still answered as problem+json (500) without a traceback.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from flask import Response
from werkzeug.exceptions import HTTPException

from simulator.errors import PROBLEM_JSON, DomainError, problem_body

log = logging.getLogger("simulator.errors")


# Codes for errors raised by the HTTP layer itself (werkzeug / webargs), by status.
HTTP_CODES = {
    400: "MALFORMED_REQUEST",
    401: "AUTHENTICATION_REQUIRED",
    403: "FORBIDDEN",
    404: "ROUTE_NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    409: "CONFLICT",
    412: "PRECONDITION_FAILED",
    413: "PAYLOAD_TOO_LARGE",
    414: "URI_TOO_LONG",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "VALIDATION_FAILED",
    428: "PRECONDITION_REQUIRED",
    429: "RATE_LIMITED",
    431: "HEADERS_TOO_LARGE",
    500: "INTERNAL_ERROR",
}


def flatten_messages(messages: Any) -> dict[str, str]:
    """webargs messages ({"json": {"a": {"b": ["msg"]}}}) → {"a.b": "msg"}."""
    flat: dict[str, str] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, (list, tuple)):
            if value and all(isinstance(item, str) for item in value):
                flat[prefix or "_body"] = " ".join(value)
            else:
                for index, inner in enumerate(value):
                    walk(f"{prefix}.{index}", inner)
        else:
            flat[prefix or "_body"] = str(value)

    if isinstance(messages, Mapping):
        # Drop the webargs location level (json / query / headers): field names suffice.
        for location_messages in messages.values():
            walk("", location_messages)
    else:
        walk("", messages)
    return {("_body" if key == "_schema" else key): text for key, text in flat.items()}


STORE_UNAVAILABLE = "STORE_UNAVAILABLE"
STORE_UNAVAILABLE_DETAIL = "The simulator's shared store cannot be reached right now; nothing was changed. Retry shortly."


def register_error_handlers(app, unavailable: tuple[type[BaseException], ...] = ()) -> None:
    """`unavailable`: exceptions that mean the store cannot be reached (503 STORE_UNAVAILABLE)."""

    def respond(status: int, body: dict, headers: Mapping[str, str] | None = None) -> Response:
        response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
        for name, value in (headers or {}).items():
            response.headers[name] = value
        return response

    @app.errorhandler(DomainError)
    def handle_domain_error(error: DomainError):
        return respond(
            error.status,
            problem_body(error.status, error.code, error.detail, error.errors, **error.extra),
            error.headers,
        )

    @app.errorhandler(HTTPException)
    def handle_http_exception(error: HTTPException):
        status = error.code or 500
        data = getattr(error, "data", None) or {}
        messages = data.get("messages")
        errors = flatten_messages(messages) if messages else None
        code = HTTP_CODES.get(status, "HTTP_ERROR")
        detail = error.description or HTTPStatus(status).phrase
        if status == 400 and messages and "json" in messages:
            code, detail = "MALFORMED_JSON", "The request body is not valid JSON."
        elif status == 422:
            detail = "The request has invalid fields."
        headers = dict(data.get("headers") or {})
        if getattr(error, "valid_methods", None):
            headers["Allow"] = ", ".join(sorted(error.valid_methods))
        if status >= 500:
            detail = "The simulator hit an unexpected error."
        return respond(status, problem_body(status, code, detail, errors), headers)

    def handle_unavailable(error: BaseException):
        log.warning("store unavailable: %s", error)
        return respond(503, problem_body(503, STORE_UNAVAILABLE, STORE_UNAVAILABLE_DETAIL), {"Retry-After": "1"})

    for exception in unavailable:
        app.register_error_handler(exception, handle_unavailable)

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        log.exception("unhandled error")
        return respond(500, problem_body(500, "INTERNAL_ERROR", "The simulator hit an unexpected error."))

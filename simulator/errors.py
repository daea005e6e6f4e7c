"""Errors as RFC 9457 problem+json, with a stable UPPER_SNAKE `code`.

Services raise `DomainError` (no Flask involved); `register_error_handlers` maps it,
every HTTP error and every unexpected exception to a problem+json answer, so no
traceback ever reaches a client.
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any, Mapping

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://alegra-sim.dev/problems/"

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A rule said no. `status` follows the contract: 404 unknown id, 409 state, …"""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        errors: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ):
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.errors = dict(errors) if errors else None
        self.headers = dict(headers or {})
        self.extra = extra


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names it."""


class ConfigError(ValueError):
    """A simulation config value that cannot be used; `errors` maps dotted paths to messages."""

    def __init__(self, errors: Mapping[str, str]):
        self.errors = dict(errors)
        super().__init__("; ".join(f"{path}: {message}" for path, message in self.errors.items()))


def not_found(code: str, detail: str) -> DomainError:
    return DomainError(404, code, detail)


def validation_error(errors: Mapping[str, Any], detail: str = "The request has invalid fields.") -> DomainError:
    return DomainError(422, "VALIDATION_FAILED", detail, errors=errors)


def problem_body(status: int, code: str, detail: str, errors=None, **extra: Any) -> dict:
    body = {
        "type": TYPE_BASE + code.lower().replace("_", "-"),
        "title": HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error",
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    body.update(extra)
    return body


def wsgi_problem(start_response, status: int, code: str, detail: str, headers=(), errors=None, **extra: Any) -> list[bytes]:
    """A problem+json answer from WSGI middleware, which answers before Flask is reached."""
    body = json.dumps(problem_body(status, code, detail, errors, **extra)).encode()
    start_response(
        f"{status} {HTTPStatus(status).phrase}",
        [("Content-Type", PROBLEM_JSON), ("Content-Length", str(len(body))), ("Cache-Control", "no-store"), *headers],
    )
    return [body]


# Codes for errors raised by the HTTP layer itself (werkzeug / webargs), by status.
HTTP_CODES = {
    400: "MALFORMED_REQUEST",
    401: "UNAUTHORIZED",
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


def register_error_handlers(app) -> None:
    from flask import Response
    from werkzeug.exceptions import HTTPException

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

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        log.exception("unhandled error")
        return respond(500, problem_body(500, "INTERNAL_ERROR", "The simulator hit an unexpected error."))

"""Errors as RFC 9457 problem+json, with a stable UPPER_SNAKE `code`.

Services raise `DomainError` (no Flask involved); `register_error_handlers` maps it,
every HTTP error and every unexpected exception to a problem+json answer, so no
traceback ever reaches a client.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://alegra-sim.dev/problems/"



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


#: 401 answers: one code when no credentials came, one when those sent are no good
#: (unknown, revoked, expired or malformed), whichever credentials a route takes. They
#: follow RFC 6750: the `WWW-Authenticate` challenge names `invalid_token` for the second.
AUTHENTICATION_REQUIRED = "AUTHENTICATION_REQUIRED"
INVALID_TOKEN = "INVALID_TOKEN"
REALM = "alegra-sim"


def authentication_required(detail: str, realm: str = REALM) -> DomainError:
    """401: the call needs credentials and none came."""
    return DomainError(401, AUTHENTICATION_REQUIRED, detail, headers={"WWW-Authenticate": f'Bearer realm="{realm}"'})


def invalid_token(detail: str, realm: str = REALM) -> DomainError:
    """401: the token sent is unknown, revoked, expired or malformed; `detail` says which."""
    challenge = f'Bearer realm="{realm}", error="invalid_token", error_description="{detail.rstrip(".")}"'
    return DomainError(401, INVALID_TOKEN, detail, headers={"WWW-Authenticate": challenge})


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

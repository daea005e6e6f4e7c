"""Flask-side helpers shared by every blueprint: the runtime, JSON answers, ETags."""

from __future__ import annotations

import orjson
from typing import Any, Mapping

import flask_smorest
from flask import Response, current_app, request

from .errors import DomainError
from .runtime import Runtime

EXTENSION = "alegra_sim"
#: Compact UTF-8 JSON as bytes. orjson, because encoding is a large share of the hot
#: paths (basket answers, product detail, the NDJSON export).
dumps = orjson.dumps


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint with the contract's paging: 20 a page by default, 100 at most."""

    DEFAULT_PAGINATION_PARAMETERS = {"page": 1, "page_size": 20, "max_page_size": 100}


def runtime() -> Runtime:
    return current_app.extensions[EXTENSION]


def json_response(payload: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(dumps(payload), status=status, headers=headers, mimetype="application/json")


def etag(version: int) -> str:
    return f'"{version}"'


def if_match_version() -> int | None:
    """The version named by `If-Match` ("3", W/"3" or 3), or None when absent."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    text = header.strip().removeprefix("W/").strip('"')
    if not text.isdigit() or len(text) > 18:
        raise DomainError(412, "PRECONDITION_FAILED", "If-Match must be an ETag this backend issued.")
    return int(text)


def not_modified(current_etag: str) -> bool:
    """True when `If-None-Match` already names the current ETag."""
    header = request.headers.get("If-None-Match", "")
    candidates = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return current_etag in candidates or "*" in candidates

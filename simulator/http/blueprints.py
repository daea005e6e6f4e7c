"""Flask-side helpers shared by every blueprint: the runtime, JSON answers, ETags."""

from __future__ import annotations

import copy
import io
import json
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from types import NoneType
from typing import Any

import flask_smorest
import orjson
from flask import Response, current_app, request
from marshmallow import Schema, missing
from webargs.core import _UNKNOWN_DEFAULT_PARAM
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.wsgi import get_content_length

from simulator.errors import DomainError, validation_error
from simulator.runtime import Runtime
from simulator.versioned import stale

from .flask_app import SimulatorResponse
from .openapi import STRICT_QUERY

EXTENSION = "alegra_sim"
#: Compact UTF-8 JSON as bytes. orjson, because encoding is a large share of the hot
#: paths (basket answers, product detail, the NDJSON export).
dumps = orjson.dumps


def _has_lone_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return _SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(item) for item in value)
    return False


_SURROGATE = re.compile(r"[\ud800-\udfff]")


class _OneSchemaPerClass:
    """webargs makes a new instance of a Schema class for every request it parses, which
    costs more than the parsing; one instance per class serves every request (loading
    keeps no state on it)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._schemas: dict[type[Schema], Schema] = {}

    def _get_schema(self, argmap, req) -> Schema:
        if isinstance(argmap, type) and issubclass(argmap, Schema):
            schema = self._schemas.get(argmap)
            if schema is None:
                schema = self._schemas[argmap] = argmap()
            return schema
        return super()._get_schema(argmap, req)


class _RepeatedArguments:
    """The same query string, or the same small JSON body, parsed with the same schema
    gives the same arguments, and clients send the same ones over and over (a category's
    pages, "add one of this product"): the arguments parsed lately are kept, when they are
    plain values. Each request gets a copy of its own; what fails is parsed again every
    time."""

    KEPT = 4096
    #: Bodies up to this size are kept (bytes): an add to basket or a step of a checkout.
    KEPT_BODY = 1024
    KEPT_CONTENT_TYPES = 64

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._parsed: dict[tuple, object] = {}
        self._json_types: dict[str, bool] = {}  # Content-Type header → JSON or not

    def parse(self, argmap, req=None, *, location=None, unknown=_UNKNOWN_DEFAULT_PARAM, validate=None, **kwargs):
        req = req if req is not None else self.get_default_request()
        source = self._source(req, location)
        if source is None or validate is not None or not isinstance(argmap, (type, Schema)):
            return super().parse(argmap, req, location=location, unknown=unknown, validate=validate, **kwargs)
        key = (argmap, unknown, location, source)
        parsed = self._parsed.get(key)
        if parsed is None:
            parsed = super().parse(argmap, req, location=location, unknown=unknown, validate=validate, **kwargs)
            if not _plain(parsed):
                return parsed
            if len(self._parsed) >= self.KEPT:
                self._parsed = {}
            self._parsed[key] = parsed
        return parsed.copy() if type(parsed) is dict else copy.copy(parsed)

    def get_default_request(self):
        # The request itself, not Flask's proxy to it: every look through the proxy
        # costs, and the parse looks at the request several times.
        return request._get_current_object()

    def _source(self, req, location) -> bytes | None:
        """The bytes the arguments are parsed from, when they may be kept; else None.
        Read from the WSGI environ: werkzeug's `mimetype` and `content_length` parse
        headers anew for every request."""
        if location in ("query", "querystring"):
            return req.query_string
        if location != "json":
            return None
        length = get_content_length(req.environ)
        if length is None or length > self.KEPT_BODY or not self._is_json(req):
            return None
        body = _small_body(req, length)
        # A body shorter than its length fails when read as the request's (a 400): never kept.
        return body if len(body) == length else None

    def _is_json(self, req) -> bool:
        """webargs' verdict on the request's Content-Type, kept per header value (clients
        send one or two)."""
        content_type = req.environ.get("CONTENT_TYPE", "")
        verdict = self._json_types.get(content_type)
        if verdict is None:
            verdict = is_json_request(req)
            if len(self._json_types) >= self.KEPT_CONTENT_TYPES:
                self._json_types.clear()
            self._json_types[content_type] = verdict
        return verdict


def _small_body(req, length: int) -> bytes:
    """The body of a request that says it holds `length` bytes (a small one), read straight
    from the WSGI input: werkzeug's input stream and `get_data` cost a few µs more than the
    read. The input is put back as the bytes read, so that whatever reads the body later
    (webargs, when the arguments are not kept) reads them as it would have; a body shorter
    than its length (never kept) fails there as it would have. Once werkzeug has opened the input, it
    reads it."""
    if "stream" in req.__dict__:  # werkzeug's cached_property: the input is its already
        return req.get_data(cache=True)
    environ = req.environ
    body = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)
    return body


_PLAIN = (str, int, float, Decimal, date, NoneType)  # bool is an int; datetime is a date


def _plain(arguments: object) -> bool:
    """Whether parsed arguments hold only immutable values (a dict, or an object such as
    flask-smorest's PaginationParameters), so that a shallow copy shares nothing."""
    values = arguments.values() if isinstance(arguments, dict) else vars(arguments).values()
    return all(isinstance(value, _PLAIN) for value in values)


class QueryParser(_RepeatedArguments, _OneSchemaPerClass, FlaskParser):
    """webargs' parser for query arguments (pagination)."""


class BodyParser(_RepeatedArguments, _OneSchemaPerClass, FlaskParser):
    """webargs' parser, refusing a body that is not JSON (415) and JSON nested deeper than the
    parser goes (400), and JSON whose strings hold a lone UTF-16 surrogate (such as U+D800):
    valid JSON syntax, but not text. Stored, such a string could never be written out again,
    so every later answer showing it would fail; refused here, it is a 400 like any
    malformed body, for every endpoint at once."""

    def _raw_load_json(self, req):
        if not is_json_request(req):
            if req.content_length or req.headers.get("Transfer-Encoding"):
                # A body webargs would silently ignore (text/plain, a form, no type at all).
                raise DomainError(415, "UNSUPPORTED_MEDIA_TYPE", "Send the request body as application/json.")
            return missing
        try:
            data = super()._raw_load_json(req)
        except RecursionError:  # nesting deeper than the JSON parser goes: no contract body does that
            raise DomainError(400, "MALFORMED_JSON", "The request body nests too deeply.") from None
        if data is not missing and _has_lone_surrogate(data):
            raise json.JSONDecodeError("a string holds a lone UTF-16 surrogate", req.get_data(as_text=True), 0)
        return data


PAGING_PARAMETERS = frozenset({"page", "page_size"})


def _query_parameters(view: Callable) -> frozenset[str]:
    """The query parameters a view documents: those of its query arguments schemas, and
    `page` and `page_size` when it is paginated."""
    apidoc = getattr(view, "_apidoc", {})
    names = set(PAGING_PARAMETERS) if "pagination" in apidoc else set()
    for parameter in apidoc.get("arguments", {}).get("parameters", []):
        if parameter["in"] in ("query", "querystring"):
            schema = parameter["schema"]
            schema = schema() if isinstance(schema, type) else schema
            names.update(field.data_key or name for name, field in schema.fields.items())
    return frozenset(names)


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint with the contract's paging (20 a page by default, 100 at
    most), the parsers above, and strict query strings: a query parameter the route
    does not document answers 422, so a misspelt filter or `limit` for `page_size` is
    never silently ignored. Blueprints of pages and images (`strict_query=False`) ignore
    query strings they do not read, as cache-busting links expect. `guard` runs before
    anything else of every request, the query check included.

    `security` documents who may call its operations (OpenAPI security requirements); an
    operation's own (`@blp.doc(security=...)`, `@requires_customer`) replaces it. Both it
    and the strict query check go into the OpenAPI document (`simulator.http.openapi`)."""

    DEFAULT_PAGINATION_PARAMETERS = {"page": 1, "page_size": 20, "max_page_size": 100}
    ARGUMENTS_PARSER = BodyParser()
    PAGINATION_ARGUMENTS_PARSER = QueryParser()

    @staticmethod
    def _make_pagination_metadata(page: int, page_size: int, item_count: int) -> dict:
        """flask-smorest's `X-Pagination` content, without making a PaginationMetadataSchema
        per request to dump this dict of ints as it is."""
        metadata = {"total": item_count, "total_pages": 0}
        if item_count:
            last = (item_count - 1) // page_size + 1
            metadata.update(total_pages=last, first_page=1, last_page=last)
            if page <= last:
                metadata["page"] = page
                if page > 1:
                    metadata["previous_page"] = page - 1
                if page < last:
                    metadata["next_page"] = page + 1
        return metadata

    def __init__(
        self, *args: Any, guard: Callable[[], None] | None = None, strict_query: bool = True, security: list[dict] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.strict_query = strict_query
        self.security = security
        self._prepare_doc_cbks.append(self._prepare_contract_doc)
        self._known_query: dict[str, frozenset[str]] = {}  # endpoint → its query parameters
        if guard is not None:
            self.before_request(guard)
        if strict_query:
            self.before_request(self._refuse_unknown_query_parameters)
        self.after_request(_no_content_is_empty)

    # flask-smorest's `doc` and `alt_response` only document, yet each wraps the view in
    # a function that runs on every request (a frame, a look through `current_app` and
    # `ensure_sync`). These keep the documentation they make and drop their wrapper: the
    # view runs as it would, and every other decorator (and Flask) still makes an
    # `async def` view synchronous.
    def doc(self, **kwargs: Any) -> Callable[[Callable], Callable]:
        return _documentation_only(super().doc(**kwargs))

    def alt_response(self, *args: Any, **kwargs: Any) -> Callable[[Callable], Callable]:
        return _documentation_only(super().alt_response(*args, **kwargs))

    def _prepare_contract_doc(self, doc: dict, doc_info: dict, **kwargs: Any) -> dict:
        if self.security is not None:
            doc.setdefault("security", self.security)
        if self.strict_query:
            doc[STRICT_QUERY] = True
        return doc

    def _refuse_unknown_query_parameters(self) -> None:
        # Most requests have no query string: looking at its bytes costs less than
        # parsing them into `request.args`, which every request would then pay for.
        if not request.query_string or not request.args or request.method == "OPTIONS":
            return
        known = self._known_query.get(request.endpoint)
        if known is None:
            known = self._known_query[request.endpoint] = _query_parameters(current_app.view_functions[request.endpoint])
        unknown = sorted(name for name in request.args if name not in known)
        if unknown:
            raise validation_error({name: "Unknown field." for name in unknown})


def _documentation_only(decorate: Callable[[Callable], Callable]) -> Callable[[Callable], Callable]:
    """A flask-smorest decorator that only documents, without its wrapper: the view gets
    the documentation the wrapper got (`_apidoc`) and serves itself."""

    def decorator(view: Callable) -> Callable:
        view._apidoc = decorate(view)._apidoc
        return view

    return decorator


def page_of(items: Sequence[Any], pagination_parameters) -> list[Any]:
    """The requested page of a list held whole; its length goes to `X-Pagination`."""
    pagination_parameters.item_count = len(items)
    start = (pagination_parameters.page - 1) * pagination_parameters.page_size
    return list(items[start : start + pagination_parameters.page_size])


def _no_content_is_empty(response: Response) -> Response:
    """A 204 carries nothing: no body and so no content type, however the view returned it."""
    if response.status_code == 204:
        response.set_data(b"")
        response.headers.remove("Content-Type")
    return response


def runtime() -> Runtime:
    return current_app.extensions[EXTENSION]


def json_response(payload: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return SimulatorResponse(dumps(payload), status=status, headers=headers, mimetype="application/json")


def etag(version: int) -> str:
    return f'"{version}"'


def if_match_version() -> int | None:
    """The version named by `If-Match` ("3", W/"3" or 3), or None when absent."""
    header = request.environ.get("HTTP_IF_MATCH")  # as request.headers has it, without its lookup's cost
    if header is None or header.strip() == "*":
        return None
    text = header.strip().removeprefix("W/").strip('"')
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise stale("this resource")
    return int(text)


def not_modified(current_etag: str) -> bool:
    """True when `If-None-Match` already names the current ETag."""
    header = request.headers.get("If-None-Match", "")
    candidates = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return current_etag in candidates or "*" in candidates

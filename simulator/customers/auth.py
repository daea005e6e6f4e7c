"""Bearer authentication for every customer-facing blueprint (customers, basket, checkout, orders).

    @blp.route("/customers/me", methods=["PATCH"])
    @requires_customer                  # right under the route: before the body is parsed
    @blp.arguments(ProfilePatchSchema)
    def patch_me(changes):
        customer = current_customer()   # the caller, authenticated above

    customer = optional_customer()      # guest-or-customer routes: None without Authorization

`requires_customer` authenticates before anything else of the view runs, body parsing
included: a caller without a valid token gets 401 and learns nothing about what the
body should be. It also documents the bearer scheme and the 401 in the OpenAPI
document. `current_customer()` refuses to work in a view without it, so a route
cannot read the customer without having authenticated first.

A token that is sent but unknown, revoked or expired answers 401 `INVALID_TOKEN` in
both: a caller holding a dead session must log in again, not be served silently as a
guest. No token where one is needed answers 401 `AUTHENTICATION_REQUIRED`.
The raw token is only hashed here; it is never logged or stored.
"""

from __future__ import annotations

from flask import current_app, request

from simulator.errors import DomainError, invalid_token
from simulator.http.bearer import BearerGuard
from simulator.http.blueprints import runtime
from simulator.http.openapi import BEARER
from simulator.store import ReadAhead
from simulator.tokens import token_digest

from . import sessions
from .model import Customer


def current_customer() -> Customer:
    """The customer `@requires_customer` authenticated for this request."""
    if not getattr(current_app.view_functions.get(request.endpoint), _GUARD.marker, False):
        raise RuntimeError(f"{request.endpoint} reads the customer but lacks @requires_customer")
    return _authenticate()


def optional_customer() -> Customer | None:
    """The authenticated customer, or None for a guest (no Authorization header)."""
    if not _GUARD.cached() and request.headers.get("Authorization") is None:
        return None
    return _authenticate()


def bearer_token() -> str | None:
    """The token of `Authorization: Bearer <token>`; None when the header is absent.

    Another scheme or an empty token answers 401.
    """
    header = request.headers.get("Authorization")
    return None if header is None else _bearer_of(header)


def _bearer_of(header: str) -> str:
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise invalid_token("Send `Authorization: Bearer <token>`.")
    return token


def read_ahead(environ: dict, owned: tuple[str, ...] = ()) -> ReadAhead | None:
    """The session of the request's bearer token, its customer and the records of `owned` kinds
    the customer owns, from the WSGI environ (before Flask has a request), to be read ahead;
    None without a bearer token worth looking up."""
    header = environ.get("HTTP_AUTHORIZATION")
    if header is None:
        return None
    try:
        return sessions.read_ahead(_bearer_of(header), owned)
    except DomainError:  # not a bearer token: the request answers 401 without reading
        return None


def bearer_digest() -> str | None:
    """The stored form of the caller's token, to name the current session."""
    token = bearer_token()
    return None if token is None else token_digest(token)


def _lookup() -> Customer:
    sim = runtime()
    return sessions.authenticate(sim.store, sim.clock, bearer_token())


_GUARD = BearerGuard("customer", BEARER, _lookup)
_authenticate = _GUARD.current

#: Only for an authenticated customer: 401 before the view, its body parsing included, runs.
requires_customer = _GUARD.require

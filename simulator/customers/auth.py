"""Bearer authentication for every customer-facing blueprint (customers, basket, checkout, orders).

    from simulator.customers.auth import current_customer, optional_customer

    customer = current_customer()   # the caller, or 401 with WWW-Authenticate
    customer = optional_customer()  # None when no Authorization header is sent

A token that is sent but unknown, revoked or expired answers 401 in both: a caller
holding a dead session must log in again, not be served silently as a guest.
The raw token is only hashed here; it is never logged or stored.
"""

from __future__ import annotations

from flask import g, request

from simulator.http.blueprints import runtime

from . import service
from .model import Customer, token_digest


def bearer_token() -> str | None:
    """The token of `Authorization: Bearer <token>`; None when the header is absent.

    Another scheme or an empty token answers 401.
    """
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise service.unauthorized("Send `Authorization: Bearer <token>`.")
    return token


def bearer_digest() -> str | None:
    """The stored form (SHA-256) of the caller's token, to name the current session."""
    token = bearer_token()
    return None if token is None else token_digest(token)


_CACHE = "alegra_sim_customer"  # flask.g attribute: one token lookup per request


def current_customer() -> Customer:
    """The authenticated customer; 401 with `WWW-Authenticate` otherwise."""
    customer = g.get(_CACHE)
    if customer is None:
        sim = runtime()
        customer = service.authenticate(sim.store, sim.clock, bearer_token())
        setattr(g, _CACHE, customer)
    return customer


def optional_customer() -> Customer | None:
    """The authenticated customer, or None for a guest (no Authorization header)."""
    if g.get(_CACHE) is None and request.headers.get("Authorization") is None:
        return None
    return current_customer()

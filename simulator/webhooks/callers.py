"""Who calls the webhook routes: `Authorization: Bearer <integration key>` (or the admin token).

    @blp.route("/webhooks", methods=["POST"])
    @requires_integration            # right under the route: before the body is parsed
    @blp.arguments(WebhookCreateSchema)
    def create_webhook(body):
        caller = current_caller()

Like `customers.auth.requires_customer`, the key is checked before anything else of the
view runs, so a caller without one gets 401 and learns nothing about the body. A
customer's bearer token is not an integration key: it answers 401 here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import g, request
from flask_smorest import Blueprint

from simulator.http.blueprints import runtime
from simulator.http.openapi import INTEGRATION_KEY

from . import keys

_CACHE = "alegra_sim_integration"  # flask.g attribute: one key lookup per request

_document_key = Blueprint.doc(security=[{INTEGRATION_KEY: []}])  # the 401 comes with it (simulator.http.openapi)


def requires_integration(view: Callable) -> Callable:
    """Only for a caller with an integration key (or the admin token): 401 before the view runs."""

    @functools.wraps(view)  # keeps flask-smorest's `_apidoc` of the decorators below
    def authenticated_view(*args, **kwargs):
        current_caller()
        return view(*args, **kwargs)

    return _document_key(authenticated_view)


def current_caller() -> keys.Caller:
    caller = g.get(_CACHE)
    if caller is None:
        scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
        sim = runtime()
        caller = keys.authenticate(sim.store, token.strip() if scheme.lower() == "bearer" else None, sim.settings.admin_token)
        setattr(g, _CACHE, caller)
    return caller

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

from flask import request

from simulator.http.bearer import BearerGuard
from simulator.http.blueprints import runtime
from simulator.http.openapi import INTEGRATION_KEY

from . import keys


def _authenticate() -> keys.Caller:
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    sim = runtime()
    return keys.authenticate(sim.store, token.strip() if scheme.lower() == "bearer" else None, sim.settings.admin_token)


_GUARD = BearerGuard("integration", INTEGRATION_KEY, _authenticate)

#: Only for a caller with an integration key (or the admin token): 401 before the view runs.
requires_integration = _GUARD.require
#: The caller `@requires_integration` authenticated.
current_caller = _GUARD.current

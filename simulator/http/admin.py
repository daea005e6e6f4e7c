"""The admin guard of the simulator controls (`/_sim`), built into their blueprint class.

Every `/_sim` blueprint is an `AdminBlueprint`: the guard is attached when the
blueprint is made, so a new control cannot be mounted without it.
"""

from __future__ import annotations

import hmac

from flask import request

from simulator.errors import authentication_required, invalid_token

from .blueprints import Blueprint, runtime
from .openapi import ADMIN_SECURITY

ADMIN_PREFIX = "/_sim"
ADMIN_REALM = "alegra-sim admin"


def require_admin_token() -> None:
    """With SIM_ADMIN_TOKEN set, the request must carry `Authorization: Bearer <admin token>`."""
    token = runtime().settings.admin_token
    if not token:
        return None
    header = request.headers.get("Authorization")
    if header is None:
        raise authentication_required("Simulator controls need `Authorization: Bearer <admin token>`.", ADMIN_REALM)
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise invalid_token("This is not the admin token.", ADMIN_REALM)
    return None


class AdminBlueprint(Blueprint):
    """A blueprint of simulator controls: mounted under `/_sim`, guarded by the admin token."""

    def __init__(self, name: str, import_name: str, *, description: str, **kwargs) -> None:
        super().__init__(name, import_name, url_prefix=ADMIN_PREFIX, description=description, guard=require_admin_token,
                         security=ADMIN_SECURITY, **kwargs)

"""Simulator controls under /_sim: reset, product edits, clock, churn."""

from __future__ import annotations

import hmac
from datetime import timedelta

from flask import request

from simulator.catalog import service as catalog
from simulator.catalog.schemas import ProductPatchSchema, ProductSchema, ProductWriteSchema
from simulator.catalog.serialize import product_to_dict
from simulator.errors import DomainError
from simulator.schemas import ProblemSchema
from simulator.web import Blueprint, etag, if_match_version, json_response, runtime

from . import churn
from .schemas import (
    ChurnRunResultSchema,
    ChurnRunSchema,
    ChurnSchema,
    ClockActionSchema,
    ClockSchema,
    ResetResultSchema,
    ResetSchema,
)

blp = Blueprint("sim", __name__, url_prefix="/_sim", description="Simulator controls (not part of the merchant contract).")


@blp.before_request
def require_admin_token():
    token = runtime().settings.admin_token
    if not token:
        return None
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise DomainError(
            401,
            "ADMIN_TOKEN_REQUIRED",
            "Simulator controls need `Authorization: Bearer <admin token>`.",
            headers={"WWW-Authenticate": 'Bearer realm="alegra-sim admin"'},
        )
    return None


def _product_answer(product, status=200):
    settings = runtime().settings
    return json_response(
        product_to_dict(product, settings.currency, settings.base_url), status, {"ETag": etag(product.version)}
    )


@blp.route("/reset", methods=["POST"])
@blp.arguments(ResetSchema(), required=False)
@blp.response(200, ResetResultSchema)
def reset(args):
    """Back to the seeded state, optionally with another `seed` or number of `products`."""
    sim = runtime()
    sim.reset(args.get("seed"), args.get("products"))
    return json_response({"seed": sim.settings.seed, "products": sim.settings.products})


@blp.route("/products", methods=["POST"])
@blp.arguments(ProductWriteSchema)
@blp.response(201, ProductSchema)
@blp.alt_response(422, schema=ProblemSchema)
def create_product(fields):
    """Create a product by hand; it shows in the changes feed like any change."""
    sim = runtime()
    return _product_answer(catalog.create_product(sim.store, sim.clock, fields), 201)


@blp.route("/products/<product_id>", methods=["PATCH"])
@blp.arguments(ProductPatchSchema(partial=True))
@blp.response(200, ProductSchema)
@blp.alt_response(404, schema=ProblemSchema)
@blp.alt_response(412, schema=ProblemSchema)
def patch_product(changes, product_id):
    """Change some fields of a product (`If-Match` guards against a stale edit)."""
    sim = runtime()
    return _product_answer(catalog.update_product(sim.store, sim.clock, product_id, changes, if_match_version()))


@blp.route("/products/<product_id>", methods=["DELETE"])
@blp.response(204)
@blp.alt_response(404, schema=ProblemSchema)
def delete_product(product_id):
    """Delete a product; the changes feed carries a tombstone for it."""
    sim = runtime()
    catalog.delete_product(sim.store, sim.clock, product_id, if_match_version())
    return "", 204


@blp.route("/clock", methods=["GET"])
@blp.response(200, ClockSchema)
def get_clock():
    """The simulator clock."""
    return json_response(runtime().clock.describe())


@blp.route("/clock", methods=["POST"])
@blp.arguments(ClockActionSchema)
@blp.response(200, ClockSchema)
def change_clock(args):
    """Freeze, resume, set, advance or reset the simulator clock."""
    clock = runtime().clock
    action = args["action"]
    if action == "freeze":
        clock.freeze()
    elif action == "resume":
        clock.resume()
    elif action == "set":
        clock.set(args["to"])
    elif action == "advance":
        clock.advance(timedelta(seconds=args["seconds"]))
    else:
        clock.reset()
    return json_response(clock.describe())


@blp.route("/churn", methods=["GET"])
@blp.response(200, ChurnSchema)
def get_churn():
    """The churn generator's rate and mix."""
    return json_response({"per_minute": runtime().settings.churn_per_minute, "mix": dict(churn.MIX)})


@blp.route("/churn/run", methods=["POST"])
@blp.arguments(ChurnRunSchema)
@blp.response(200, ChurnRunResultSchema)
def run_churn(args):
    """Apply a number of random catalog changes now."""
    sim = runtime()
    return json_response({"applied": churn.apply_changes(sim.store, sim.clock, args["changes"])})

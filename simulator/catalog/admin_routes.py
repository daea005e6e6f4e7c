"""/_sim/products: product edits by hand; each shows in the changes feed like any change.
/_sim/catalog/changes: the latest entries of that feed, for a console."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import url_for
from marshmallow import Schema, fields, validate

from simulator.clock import rfc3339
from simulator.http.admin import AdminBlueprint
from simulator.http.blueprints import etag, if_match_version, json_response, runtime
from simulator.http.openapi import IF_MATCH
from simulator.schemas import ProblemSchema

from . import service as catalog
from .schemas import ChangeSchema, ProductPatchSchema, ProductSchema, ProductWriteSchema
from .serialize import product_to_dict

blp = AdminBlueprint("sim_products", __name__, description="Product edits and the latest catalog changes (simulator control).")

LATEST_CHANGES_MAX = 200


class LatestChangesArgs(Schema):
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=LATEST_CHANGES_MAX))


class LatestChangeSchema(ChangeSchema):
    at = fields.String(required=True, metadata={"description": "Simulated time of the change.", "example": "2026-11-29T18:45:09Z"})


class LatestChangesSchema(Schema):
    last_seq = fields.Integer(required=True, metadata={"description": "The feed's latest sequence number.", "example": 7})
    changes = fields.List(fields.Nested(LatestChangeSchema), required=True)


def _product_answer(product, status=200, headers=None):
    settings = runtime().settings
    return json_response(
        product_to_dict(product, settings.currency, settings.base_url), status, {"ETag": etag(product.version), **(headers or {})}
    )


@blp.route("/products", methods=["POST"])
@blp.arguments(ProductWriteSchema)
@blp.response(201, ProductSchema, headers={"Location": {"schema": {"type": "string"}, "description": "Where the product is read."}})
@blp.alt_response(422, schema=ProblemSchema)
def create_product(fields):
    """Create a product by hand; it shows in the changes feed like any change."""
    sim = runtime()
    product = catalog.create_product(sim.store, sim.clock, fields)
    return _product_answer(product, 201, {"Location": url_for("catalog.get_product", product_id=product.id)})


@blp.route("/products/<product_id>", methods=["PATCH"])
@blp.arguments(ProductPatchSchema(partial=True))
@blp.response(200, ProductSchema)
@blp.alt_response(404, schema=ProblemSchema)
@blp.doc(parameters=[IF_MATCH])
def patch_product(changes, product_id):
    """Change some fields of a product (`If-Match` guards against a stale edit)."""
    sim = runtime()
    return _product_answer(catalog.update_product(sim.store, sim.clock, product_id, changes, if_match_version()))


@blp.route("/products/<product_id>", methods=["DELETE"])
@blp.response(204)
@blp.alt_response(404, schema=ProblemSchema)
@blp.doc(parameters=[IF_MATCH])
def delete_product(product_id):
    """Delete a product; the changes feed carries a tombstone for it."""
    sim = runtime()
    catalog.delete_product(sim.store, sim.clock, product_id, if_match_version())
    return "", 204


@blp.route("/catalog/changes", methods=["GET"])
@blp.arguments(LatestChangesArgs, location="query", as_kwargs=True)
@blp.response(200, LatestChangesSchema)
@blp.alt_response(422, schema=ProblemSchema)
def list_latest_catalog_changes(limit):
    """The latest catalog changes as `GET /api/v1/catalog/changes` carries them, newest first:
    the products changed within the last `limit` sequence numbers, each once (its latest change)."""
    sim = runtime()
    last_seq, entries = catalog.latest_changes(sim.store, limit)
    changes = []
    for change, product in entries:
        entry = {"seq": change.seq, "type": "delete" if change.deleted else "upsert", "product_id": change.record_id,
                 "at": rfc3339(datetime.fromtimestamp(change.at, UTC))}
        if product is not None:
            entry["product"] = product_to_dict(product, sim.settings.currency, sim.settings.base_url)
        changes.append(entry)
    return json_response({"last_seq": last_seq, "changes": changes})

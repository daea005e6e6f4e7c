"""/_sim/products: product edits by hand; each shows in the changes feed like any change."""

from __future__ import annotations

from flask import url_for

from simulator.http.admin import AdminBlueprint
from simulator.http.blueprints import etag, if_match_version, json_response, runtime
from simulator.schemas import ProblemSchema

from . import service as catalog
from .schemas import ProductPatchSchema, ProductSchema, ProductWriteSchema
from .serialize import product_to_dict

blp = AdminBlueprint("sim_products", __name__, description="Product edits (simulator control).")


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

"""Catalog webservices: categories, browse, detail, bulk export and the changes feed."""

from __future__ import annotations

import hashlib
from html import escape

from flask import Response, request

from simulator.errors import not_found
from simulator.http.blueprints import Blueprint, dumps, etag, json_response, not_modified, runtime
from simulator.http.openapi import IF_NONE_MATCH
from simulator.offload import cooperative_map
from simulator.schemas import ProblemSchema

from . import service
from .schemas import (
    CategorySchema,
    ChangesArgs,
    ChangesPageSchema,
    ExportArgs,
    ExportPageSchema,
    ProductQueryArgs,
    ProductSchema,
    SyncTokenLineSchema,
)
from .serialize import RecentJson, category_tree_to_list, product_to_dict

blp = Blueprint("catalog", __name__, url_prefix="/api/v1", description="Product catalog: browse, bulk export, delta sync.")
media = Blueprint("media", __name__, url_prefix="/media", description="Placeholder product images.", strict_query=False)

NDJSON = "application/x-ndjson"
#: Browse and detail answers reuse the JSON of the products answered lately (not the
#: export and the feed: they read the whole catalog once, and would only push the others
#: out). 20,000 products, some 25 MB at most: a shop's pages and searches in use.
recent_json = RecentJson(size=20_000)
#: One line of the NDJSON export: a product, or the last line with the sync token.
NDJSON_LINE = {
    "oneOf": [ProductSchema, SyncTokenLineSchema],
    "description": "Each line is one JSON value of this shape.",
}


def _product(product) -> dict:
    settings = runtime().settings
    return product_to_dict(product, settings.currency, settings.base_url)


@blp.route("/categories")
@blp.response(200, CategorySchema(many=True))
def list_categories():
    """The category tree: top-level categories with nested children."""
    return Response(service.category_tree(runtime().store, render=_tree_json), mimetype="application/json")


def _tree_json(tree: list[dict]) -> bytes:
    """The answer's body: the same for every request until the categories change."""
    return dumps(category_tree_to_list(tree))


@blp.route("/products")
@blp.arguments(ProductQueryArgs, location="query", as_kwargs=True)
@blp.response(200, ProductSchema(many=True))
@blp.paginate()
@blp.alt_response(422, schema=ProblemSchema)
def browse_products(pagination_parameters, **filters):
    """Browse products: filter, search, sort; paginated (`X-Pagination`)."""
    page, total = service.browse(
        runtime().store,
        service.ProductQuery(**filters),
        pagination_parameters.page,
        pagination_parameters.page_size,
    )
    pagination_parameters.item_count = total
    settings = runtime().settings
    return Response(recent_json.products(page, settings.currency, settings.base_url), mimetype="application/json")


@blp.route("/products/<product_id>")
@blp.response(200, ProductSchema)
@blp.alt_response(404, schema=ProblemSchema)
@blp.doc(parameters=[IF_NONE_MATCH])
def get_product(product_id):
    """One product. Answers 304 when `If-None-Match` names its current ETag."""
    product = service.get_product(runtime().store, product_id)
    tag = etag(product.version)
    if not_modified(tag):
        return Response(status=304, headers={"ETag": tag})
    settings = runtime().settings
    body = recent_json.product(product, settings.currency, settings.base_url)
    return Response(body, mimetype="application/json", headers={"ETag": tag})


@blp.route("/catalog/export")
@blp.arguments(ExportArgs, location="query", as_kwargs=True)
@blp.response(200, ExportPageSchema)
@blp.alt_response(200, success=True, content_type=NDJSON, schema=NDJSON_LINE,
                  description="With `Accept: application/x-ndjson`: the whole catalog, one product a line, then `{\"sync_token\": …}`.")
@blp.alt_response(410, schema=ProblemSchema, description="The catalog was reset since the export began.")
def export_catalog(cursor=None, limit=500):
    """Bulk pull for the initial sync, by cursor pages.

    With `Accept: application/x-ndjson` the whole catalog streams in one response,
    one product a line; the last line is `{"sync_token": …}`.
    """
    store = runtime().store
    if request.accept_mimetypes.best_match(["application/json", NDJSON]) == NDJSON and not cursor:
        return _export_ndjson(store)
    page = service.export_page(store, cursor, limit)
    items = cooperative_map(_product, page.items, service.EXPORT_CHUNK)  # a page may hold 1,000
    return json_response({"items": items, "next_cursor": page.next_cursor, "sync_token": page.sync_token})


def _export_ndjson(store) -> Response:
    settings = runtime().settings
    currency, base_url = settings.currency, settings.base_url
    token, chunks = service.export_stream(store)

    def lines():
        for chunk in chunks:
            yield b"".join([dumps(product_to_dict(p, currency, base_url)) + b"\n" for p in chunk])
        yield dumps({"sync_token": token}) + b"\n"

    # The generator needs no request context: it closes over plain values only.
    return Response(lines(), mimetype=NDJSON)


@blp.route("/catalog/changes")
@blp.arguments(ChangesArgs, location="query", as_kwargs=True)
@blp.response(200, ChangesPageSchema)
@blp.alt_response(410, schema=ProblemSchema, description="SYNC_TOKEN_EXPIRED: run a full export again.")
@blp.alt_response(422, schema=ProblemSchema)
def list_catalog_changes(since, limit=500):
    """Delta pull: what changed since a sync token, oldest first, coalesced per product."""
    sim = runtime()
    page = service.changes_since(sim.store, sim.clock, sim.settings.changes_retention_seconds, since, limit)
    changes = cooperative_map(_change, page.changes, service.EXPORT_CHUNK)  # a page may hold 1,000
    return json_response({"changes": changes, "next_token": page.next_token, "has_more": page.has_more})


def _change(entry: service.ChangeEntry) -> dict:
    change = {"seq": entry.seq, "type": "delete" if entry.product is None else "upsert", "product_id": entry.product_id}
    if entry.product is not None:
        change["product"] = _product(entry.product)
    return change


@media.route("/products/<product_id>/<int:number>.svg")
@media.response(200, {"type": "string", "format": "binary"}, content_type="image/svg+xml", description="An SVG placeholder image.")
@media.alt_response(404, schema=ProblemSchema, description="`PRODUCT_NOT_FOUND` or `IMAGE_NOT_FOUND`.")
def get_product_image(product_id, number):
    """A placeholder picture for a product image URL, so a demo shop needs no image host."""
    product = service.get_product(runtime().store, product_id)
    if not 1 <= number <= product.image_count:
        raise not_found("IMAGE_NOT_FOUND", f"Product {product_id} has no image {number}.")
    hue = int(hashlib.sha1(f"{product.id}:{number}".encode()).hexdigest()[:4], 16) % 360
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="600" height="600" viewBox="0 0 600 600">'
        f'<rect width="600" height="600" fill="hsl({hue},45%,82%)"/>'
        f'<text x="300" y="290" font-family="sans-serif" font-size="28" text-anchor="middle" fill="hsl({hue},40%,25%)">{escape(product.brand)}</text>'
        f'<text x="300" y="330" font-family="sans-serif" font-size="20" text-anchor="middle" fill="hsl({hue},40%,30%)">{escape(product.name[:40])}</text>'
        "</svg>"
    )
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})

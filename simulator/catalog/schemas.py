"""Catalog request arguments and response shapes (the latter document `serialize.py`)."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, fields, validate

from simulator.schemas import Amount, MoneySchema

from .index import SORTS
from .service import CHANGES_MAX_LIMIT, EXPORT_MAX_LIMIT

ID = validate.Length(min=1, max=64)


class CategorySchema(Schema):
    id = fields.String(required=True, metadata={"example": "cat_5x2k9m1q0c7d"})
    name = fields.String(required=True, metadata={"example": "Clothing"})
    slug = fields.String(required=True, metadata={"description": "Path of slugs from the top level.", "example": "clothing"})
    parent_id = fields.String(required=True, allow_none=True, metadata={"example": "cat_vgb1ebbawerw"})
    level = fields.Integer(required=True, metadata={"description": "1 for top-level categories.", "example": 1})
    children = fields.List(fields.Nested(lambda: CategorySchema()), required=True)


class ProductSchema(Schema):
    id = fields.String(required=True, metadata={"example": "prd_ra0twtajcrj7"})
    sku = fields.String(required=True, metadata={"description": "EAN-13.", "example": "2881394338966"})
    name = fields.String(required=True, metadata={"example": "Cochran Essential Steel Polo Shirt"})
    description = fields.String(required=True, metadata={"example": "Cochran Essential Steel Polo Shirt. Breathable cotton piqué, regular fit."})
    brand = fields.String(required=True, metadata={"example": "Cochran"})
    category_ids = fields.List(fields.String(), required=True, metadata={"example": ["cat_4cmkzgtk8m49"]})
    price = fields.Nested(MoneySchema, required=True, metadata={"description": "Gross price, tax included."})
    compare_at_price = fields.Nested(MoneySchema, required=True, allow_none=True, metadata={"description": "Former price shown struck through."})
    tax_rate = fields.String(required=True, metadata={"description": "Tax contained in the price, as a fraction.", "example": "0.19"})
    stock = fields.Integer(required=True, metadata={"example": 3})
    in_stock = fields.Boolean(required=True, metadata={"example": True})
    weight_grams = fields.Integer(required=True, metadata={"example": 359})
    attributes = fields.Dict(required=True, keys=fields.String(), values=fields.String(), metadata={"example": {"colour": "Navy", "size": "M"}})
    images = fields.List(
        fields.String(),
        required=True,
        metadata={
            "description": "Image URLs, served by the simulator.",
            "example": ["http://127.0.0.1:8000/media/products/prd_0zcw5mgep5nj/1.svg", "http://127.0.0.1:8000/media/products/prd_0zcw5mgep5nj/2.svg"],
        },
    )
    version = fields.Integer(required=True, metadata={"description": "Grows with every change; also the ETag.", "example": 4})
    created_at = fields.String(required=True, metadata={"example": "2026-11-29T18:45:09Z"})
    updated_at = fields.String(required=True, metadata={"example": "2026-11-29T18:45:09Z"})


class ProductQueryArgs(Schema):
    category = fields.String(validate=ID, metadata={"description": "A category id; includes its sub-categories.", "example": "cat_4cmkzgtk8m49"})
    q = fields.String(
        validate=validate.Length(max=200),
        metadata={"description": "Words that must all appear in name or brand, or an exact SKU.", "example": "polo shirt"},
    )
    min_price = fields.Decimal(validate=validate.Range(min=Decimal(0), max=Decimal(10**9)), metadata={"example": 10})
    max_price = fields.Decimal(validate=validate.Range(min=Decimal(0), max=Decimal(10**9)), metadata={"example": 50})
    in_stock = fields.Boolean(metadata={"example": True})
    sort = fields.String(validate=validate.OneOf(list(SORTS)), metadata={"example": "price"})


class ExportArgs(Schema):
    cursor = fields.String(
        validate=validate.Length(max=512),
        metadata={"description": "`next_cursor` of the previous page.", "example": "YjIyYWEyMjE3Mi40LnByZF8zYTV4cjNuN2IxamI"},
    )
    limit = fields.Integer(load_default=500, validate=validate.Range(min=1, max=EXPORT_MAX_LIMIT), metadata={"example": 500})


class ExportPageSchema(Schema):
    items = fields.List(fields.Nested(ProductSchema), required=True)
    next_cursor = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "null on the last page.", "example": "YjIyYWEyMjE3Mi40LnByZF8zYTV4cjNuN2IxamI"},
    )
    sync_token = fields.String(
        required=True,
        metadata={"description": "Follow `/catalog/changes` from here once the export is complete.", "example": "YjIyYWEyMjE3Mi40"},
    )


class SyncTokenLineSchema(Schema):
    """The last line of the NDJSON export."""

    sync_token = fields.String(required=True, metadata={"description": "Follow `/catalog/changes` from here.", "example": "c3luYzoxMjM0"})


class ChangesArgs(Schema):
    since = fields.String(required=True, validate=validate.Length(min=1, max=512), metadata={"example": "YjIyYWEyMjE3Mi40"})
    limit = fields.Integer(load_default=500, validate=validate.Range(min=1, max=CHANGES_MAX_LIMIT), metadata={"example": 500})


class ChangeSchema(Schema):
    seq = fields.Integer(required=True, metadata={"example": 7})
    type = fields.String(required=True, validate=validate.OneOf(["upsert", "delete"]), metadata={"example": "delete"})
    product_id = fields.String(required=True, metadata={"example": "prd_3vm9jrxfjf8n"})
    product = fields.Nested(ProductSchema, metadata={"description": "The current product; absent for a delete."})


class ChangesPageSchema(Schema):
    changes = fields.List(fields.Nested(ChangeSchema), required=True)
    next_token = fields.String(required=True, metadata={"example": "YjIyYWEyMjE3Mi43"})
    has_more = fields.Boolean(required=True, metadata={"example": False})


class ProductWriteSchema(Schema):
    """A product as an operator writes it through /_sim/products."""

    sku = fields.String(validate=validate.Regexp(r"^\d{13}$"), metadata={"example": "4006381333931"})
    name = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={"example": "Cochran Essential Polo Shirt"})
    description = fields.String(validate=validate.Length(max=5000), metadata={"example": "Breathable cotton piqué, regular fit."})
    brand = fields.String(validate=validate.Length(max=100), metadata={"example": "Cochran"})
    category_ids = fields.List(
        fields.String(validate=ID),
        required=True,
        validate=validate.Length(min=1, max=10),
        metadata={"example": ["cat_08sc8h3f8jw8"]},
    )
    price = Amount(required=True)
    compare_at_price = Amount(allow_none=True)
    tax_rate = fields.Decimal(validate=validate.Range(min=Decimal(0), max=Decimal("0.99")), metadata={"example": 0.19})
    stock = fields.Integer(validate=validate.Range(min=0, max=10**9), metadata={"example": 25})
    weight_grams = fields.Integer(validate=validate.Range(min=0, max=10**7), metadata={"example": 250})
    attributes = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=50)),
        values=fields.String(validate=validate.Length(max=200)),
        validate=validate.Length(max=30),
        metadata={"example": {"colour": "Navy", "size": "M"}},
    )
    image_count = fields.Integer(validate=validate.Range(min=0, max=20), metadata={"example": 2})


class ProductPatchSchema(ProductWriteSchema):
    """Any subset of the writable product fields (load it with `partial=True`)."""

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
    name = fields.String(required=True)
    slug = fields.String(required=True, metadata={"description": "Path of slugs from the top level."})
    parent_id = fields.String(required=True, allow_none=True)
    level = fields.Integer(required=True, metadata={"description": "1 for top-level categories."})
    children = fields.List(fields.Nested(lambda: CategorySchema()), required=True)


class ProductSchema(Schema):
    id = fields.String(required=True, metadata={"example": "prd_ra0twtajcrj7"})
    sku = fields.String(required=True, metadata={"description": "EAN-13."})
    name = fields.String(required=True)
    description = fields.String(required=True)
    brand = fields.String(required=True)
    category_ids = fields.List(fields.String(), required=True)
    price = fields.Nested(MoneySchema, required=True, metadata={"description": "Gross price, tax included."})
    compare_at_price = fields.Nested(MoneySchema, required=True, allow_none=True, metadata={"description": "Former price shown struck through."})
    tax_rate = fields.String(required=True, metadata={"description": "Tax contained in the price, as a fraction.", "example": "0.19"})
    stock = fields.Integer(required=True)
    in_stock = fields.Boolean(required=True)
    weight_grams = fields.Integer(required=True)
    attributes = fields.Dict(required=True, keys=fields.String(), values=fields.String(), metadata={"example": {"colour": "Navy", "size": "M"}})
    images = fields.List(fields.String(), required=True, metadata={"description": "Image URLs, served by the simulator."})
    version = fields.Integer(required=True, metadata={"description": "Grows with every change; also the ETag."})
    created_at = fields.String(required=True, metadata={"example": "2026-11-29T18:45:09Z"})
    updated_at = fields.String(required=True, metadata={"example": "2026-11-29T18:45:09Z"})


class ProductQueryArgs(Schema):
    category = fields.String(validate=ID, metadata={"description": "A category id; includes its sub-categories."})
    q = fields.String(validate=validate.Length(max=200), metadata={
        "description": "Search words: each must be a word of the product's name, brand or SKU; the last may be the start of one (as typed)."})
    min_price = fields.Decimal(validate=validate.Range(min=Decimal(0), max=Decimal(10**9)))
    max_price = fields.Decimal(validate=validate.Range(min=Decimal(0), max=Decimal(10**9)))
    in_stock = fields.Boolean()
    sort = fields.String(validate=validate.OneOf(list(SORTS)))


class ExportArgs(Schema):
    cursor = fields.String(validate=validate.Length(max=512), metadata={"description": "`next_cursor` of the previous page."})
    limit = fields.Integer(load_default=500, validate=validate.Range(min=1, max=EXPORT_MAX_LIMIT))


class ExportPageSchema(Schema):
    items = fields.List(fields.Nested(ProductSchema), required=True)
    next_cursor = fields.String(required=True, allow_none=True, metadata={"description": "null on the last page."})
    sync_token = fields.String(required=True, metadata={"description": "Follow `/catalog/changes` from here once the export is complete."})


class ChangesArgs(Schema):
    since = fields.String(required=True, validate=validate.Length(min=1, max=512))
    limit = fields.Integer(load_default=500, validate=validate.Range(min=1, max=CHANGES_MAX_LIMIT))


class ChangeSchema(Schema):
    seq = fields.Integer(required=True)
    type = fields.String(required=True, validate=validate.OneOf(["upsert", "delete"]))
    product_id = fields.String(required=True)
    product = fields.Nested(ProductSchema, metadata={"description": "The current product; absent for a delete."})


class ChangesPageSchema(Schema):
    changes = fields.List(fields.Nested(ChangeSchema), required=True)
    next_token = fields.String(required=True)
    has_more = fields.Boolean(required=True)


class ProductWriteSchema(Schema):
    """A product as an operator writes it through /_sim/products."""

    sku = fields.String(validate=validate.Regexp(r"^\d{13}$"))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(validate=validate.Length(max=5000))
    brand = fields.String(validate=validate.Length(max=100))
    category_ids = fields.List(fields.String(validate=ID), required=True, validate=validate.Length(min=1, max=10))
    price = Amount(required=True)
    compare_at_price = Amount(allow_none=True)
    tax_rate = fields.Decimal(validate=validate.Range(min=Decimal(0), max=Decimal("0.99")))
    stock = fields.Integer(validate=validate.Range(min=0, max=10**9))
    weight_grams = fields.Integer(validate=validate.Range(min=0, max=10**7))
    attributes = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=50)),
        values=fields.String(validate=validate.Length(max=200)),
        validate=validate.Length(max=30),
    )
    image_count = fields.Integer(validate=validate.Range(min=0, max=20))


class ProductPatchSchema(ProductWriteSchema):
    """Any subset of the writable product fields (load it with `partial=True`)."""

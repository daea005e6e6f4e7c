"""Promotion rules as written through /_sim/promotions (and the rules file), and as shown."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, fields, validate

from simulator.schemas import Amount, MoneySchema

from .rules import KINDS

ID = validate.Length(min=1, max=64)


class TierSchema(Schema):
    threshold = Amount(required=True)
    amount = Amount(required=True)


class PromotionWriteSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={"example": "10 % off with TENOFF"})
    kind = fields.String(required=True, validate=validate.OneOf(KINDS), metadata={"example": "basket_percent"})
    priority = fields.Integer(
        load_default=0, validate=validate.Range(min=-1000, max=1000),
        metadata={"description": "higher runs first; equal priorities run in the order of the rule set", "example": 10},
    )
    exclusive = fields.Boolean(load_default=False, metadata={"example": False})
    coupon_code = fields.String(
        allow_none=True,
        validate=[validate.Length(min=3, max=40), validate.Regexp(r"^[A-Za-z0-9_-]+$")],
        metadata={"example": "TENOFF"},
    )
    description = fields.String(
        load_default="",
        validate=validate.Length(max=2000),
        metadata={"example": "10 % off the whole basket with coupon TENOFF."},
    )
    starts_at = fields.AwareDateTime(allow_none=True, default_timezone=None, metadata={"example": "2026-01-01T00:00:00Z"})
    ends_at = fields.AwareDateTime(allow_none=True, default_timezone=None, metadata={"example": "2026-12-31T23:59:59Z"})
    min_subtotal = Amount(
        allow_none=True,
        metadata={"description": "reached by what the basket has left after the discounts of the rules that run before it"},
    )
    min_quantity = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=10_000), metadata={"example": 3})
    category_ids = fields.List(fields.String(validate=ID), validate=validate.Length(max=100), metadata={"example": ["cat_4cmkzgtk8m49"]})
    brands = fields.List(
        fields.String(validate=validate.Length(min=1, max=100)),
        validate=validate.Length(max=100),
        metadata={"example": ["Cochran"]},
    )
    product_ids = fields.List(fields.String(validate=ID), validate=validate.Length(max=100), metadata={"example": ["prd_0zcw5mgep5nj"]})
    customer_only = fields.Boolean(load_default=False, metadata={"example": False})
    first_order_only = fields.Boolean(load_default=False, metadata={"example": False})
    usage_limit = fields.Integer(
        allow_none=True, validate=validate.Range(min=0, max=10**9),
        metadata={"description": "orders, all customers together; 0 allows none", "example": 100},
    )
    per_customer_limit = fields.Integer(
        allow_none=True, validate=validate.Range(min=0, max=10**9),
        metadata={"description": "orders of one signed-in customer; 0 allows none", "example": 1},
    )
    percent = fields.Decimal(allow_none=True, validate=validate.Range(min=Decimal("0.01"), max=Decimal(100)), metadata={"example": 10})
    amount = Amount(allow_none=True)
    buy_quantity = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=1000), metadata={"example": 2})
    get_quantity = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=1000), metadata={"example": 1})
    tiers = fields.List(fields.Nested(TierSchema), validate=validate.Length(max=20))
    bundle_price = Amount(allow_none=True)


class PromotionSetSchema(Schema):
    promotions = fields.List(fields.Nested(PromotionWriteSchema), required=True, validate=validate.Length(max=1000))


class PromotionSchema(Schema):
    """A promotion as the shop shows it (codes are not revealed)."""

    id = fields.String(required=True, metadata={"example": "prm_n8vq636ejaac"})
    name = fields.String(required=True, metadata={"example": "FLASH25: 25 % off, not combinable"})
    kind = fields.String(required=True, metadata={"example": "basket_percent"})
    description = fields.String(
        required=True,
        metadata={"example": "25 % off the whole basket with coupon FLASH25; not combinable with other promotions."},
    )
    coupon_required = fields.Boolean(required=True, metadata={"example": True})
    starts_at = fields.String(required=True, allow_none=True, metadata={"example": "2026-11-27T00:00:00Z"})
    ends_at = fields.String(required=True, allow_none=True, metadata={"example": "2026-12-01T23:59:59Z"})
    min_subtotal = fields.Nested(MoneySchema, required=True, allow_none=True)
    customer_only = fields.Boolean(required=True, metadata={"example": False})
    first_order_only = fields.Boolean(required=True, metadata={"example": False})


class ShownTierSchema(Schema):
    threshold = fields.Nested(MoneySchema, required=True)
    amount = fields.Nested(MoneySchema, required=True)


class PromotionRuleSchema(PromotionSchema):
    """A promotion rule as /_sim/promotions shows it: codes, priorities and every condition."""

    coupon_code = fields.String(required=True, allow_none=True, metadata={"example": "WELCOME5"})
    priority = fields.Integer(required=True, metadata={"example": 10})
    position = fields.Integer(
        required=True,
        metadata={"description": "Its place in the rule set: rules of equal priority run in this order.", "example": 0},
    )
    exclusive = fields.Boolean(required=True, metadata={"example": False})
    min_quantity = fields.Integer(required=True, allow_none=True, metadata={"example": 3})
    category_ids = fields.List(fields.String(), required=True, metadata={"example": ["cat_fz3rw54m1hkg"]})
    brands = fields.List(fields.String(), required=True, metadata={"example": ["Cochran"]})
    product_ids = fields.List(fields.String(), required=True, metadata={"example": ["prd_0zcw5mgep5nj", "prd_1eg2tnxcpr1c"]})
    usage_limit = fields.Integer(required=True, allow_none=True, metadata={"example": 100})
    per_customer_limit = fields.Integer(required=True, allow_none=True, metadata={"example": 1})
    percent = fields.String(required=True, allow_none=True, metadata={"example": "10"})
    amount = fields.Nested(MoneySchema, required=True, allow_none=True)
    buy_quantity = fields.Integer(required=True, allow_none=True, metadata={"example": 2})
    get_quantity = fields.Integer(required=True, allow_none=True, metadata={"example": 1})
    tiers = fields.List(fields.Nested(ShownTierSchema), required=True)
    bundle_price = fields.Nested(MoneySchema, required=True, allow_none=True)
    version = fields.Integer(required=True, metadata={"description": "Grows with every change; also the ETag.", "example": 1})

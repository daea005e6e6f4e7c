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
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    priority = fields.Integer(
        load_default=0, validate=validate.Range(min=-1000, max=1000),
        metadata={"description": "higher runs first; equal priorities run in the order of the rule set"},
    )
    exclusive = fields.Boolean(load_default=False)
    coupon_code = fields.String(allow_none=True, validate=[validate.Length(min=3, max=40), validate.Regexp(r"^[A-Za-z0-9_-]+$")])
    description = fields.String(load_default="", validate=validate.Length(max=2000))
    starts_at = fields.AwareDateTime(allow_none=True, default_timezone=None)
    ends_at = fields.AwareDateTime(allow_none=True, default_timezone=None)
    min_subtotal = Amount(allow_none=True, metadata={"description": "reached by what the basket has left after the discounts of the rules that run before it"})
    min_quantity = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=10_000))
    category_ids = fields.List(fields.String(validate=ID), validate=validate.Length(max=100))
    brands = fields.List(fields.String(validate=validate.Length(min=1, max=100)), validate=validate.Length(max=100))
    product_ids = fields.List(fields.String(validate=ID), validate=validate.Length(max=100))
    customer_only = fields.Boolean(load_default=False)
    first_order_only = fields.Boolean(load_default=False)
    usage_limit = fields.Integer(
        allow_none=True, validate=validate.Range(min=0, max=10**9), metadata={"description": "orders, all customers together; 0 allows none"}
    )
    per_customer_limit = fields.Integer(
        allow_none=True, validate=validate.Range(min=0, max=10**9), metadata={"description": "orders of one signed-in customer; 0 allows none"}
    )
    percent = fields.Decimal(allow_none=True, validate=validate.Range(min=Decimal("0.01"), max=Decimal(100)))
    amount = Amount(allow_none=True)
    buy_quantity = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=1000))
    get_quantity = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=1000))
    tiers = fields.List(fields.Nested(TierSchema), validate=validate.Length(max=20))
    bundle_price = Amount(allow_none=True)


class PromotionSetSchema(Schema):
    promotions = fields.List(fields.Nested(PromotionWriteSchema), required=True, validate=validate.Length(max=1000))


class PromotionSchema(Schema):
    """A promotion as the shop shows it (codes are not revealed)."""

    id = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
    description = fields.String(required=True)
    coupon_required = fields.Boolean(required=True)
    starts_at = fields.String(required=True, allow_none=True)
    ends_at = fields.String(required=True, allow_none=True)
    min_subtotal = fields.Nested(MoneySchema, required=True, allow_none=True)
    customer_only = fields.Boolean(required=True)
    first_order_only = fields.Boolean(required=True)


class ShownTierSchema(Schema):
    threshold = fields.Nested(MoneySchema, required=True)
    amount = fields.Nested(MoneySchema, required=True)


class PromotionRuleSchema(PromotionSchema):
    """A promotion rule as /_sim/promotions shows it: codes, priorities and every condition."""

    coupon_code = fields.String(required=True, allow_none=True)
    priority = fields.Integer(required=True)
    position = fields.Integer(required=True, metadata={"description": "Its place in the rule set: rules of equal priority run in this order."})
    exclusive = fields.Boolean(required=True)
    min_quantity = fields.Integer(required=True, allow_none=True)
    category_ids = fields.List(fields.String(), required=True)
    brands = fields.List(fields.String(), required=True)
    product_ids = fields.List(fields.String(), required=True)
    usage_limit = fields.Integer(required=True, allow_none=True)
    per_customer_limit = fields.Integer(required=True, allow_none=True)
    percent = fields.String(required=True, allow_none=True, metadata={"example": "10"})
    amount = fields.Nested(MoneySchema, required=True, allow_none=True)
    buy_quantity = fields.Integer(required=True, allow_none=True)
    get_quantity = fields.Integer(required=True, allow_none=True)
    tiers = fields.List(fields.Nested(ShownTierSchema), required=True)
    bundle_price = fields.Nested(MoneySchema, required=True, allow_none=True)
    version = fields.Integer(required=True, metadata={"description": "Grows with every change; also the ETag."})

"""Basket request arguments, and the documented answer shapes."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, fields, validate

from simulator.schemas import Amount, MoneySchema

from .service import LineStatus

ID = validate.Length(min=1, max=64)
QUANTITY_MAX = 10_000  # beyond any per-line limit; the service gives the precise one


class AddItemSchema(Schema):
    product_id = fields.String(required=True, validate=ID)
    quantity = fields.Integer(load_default=1, validate=validate.Range(min=1, max=QUANTITY_MAX), strict=True)


class SetQuantitySchema(Schema):
    quantity = fields.Integer(required=True, validate=validate.Range(min=0, max=QUANTITY_MAX), strict=True, metadata={"description": "0 removes the line."})


class CouponSchema(Schema):
    code = fields.String(required=True, validate=[validate.Length(min=1, max=40), validate.Regexp(r"^[A-Za-z0-9_-]+$")])


class GuestBasketSchema(Schema):
    id = fields.String()
    token = fields.String(metadata={"description": "Send as `X-Basket-Token` to reach this basket."})


class BasketLineSchema(Schema):
    id = fields.String()
    product_id = fields.String()
    product = fields.Dict(metadata={"description": "name, sku, brand, image, stock"})
    quantity = fields.Integer()
    status = fields.String(validate=validate.OneOf([status.value for status in LineStatus]))
    unit_price = fields.Nested(MoneySchema, allow_none=True)
    previous_unit_price = fields.Nested(MoneySchema, allow_none=True, metadata={"description": "Set when the price changed since it was added."})
    subtotal = fields.Nested(MoneySchema)
    discounts = fields.List(fields.Dict())
    discount = fields.Nested(MoneySchema)
    total = fields.Nested(MoneySchema)
    tax_rate = fields.String(allow_none=True)


class TotalsSchema(Schema):
    subtotal = fields.Nested(MoneySchema)
    discount = fields.Nested(MoneySchema)
    shipping = fields.Nested(MoneySchema, metadata={"description": "0 in the basket; checkout prices delivery."})
    tax = fields.Nested(MoneySchema, metadata={"description": "Tax contained in the total."})
    total = fields.Nested(MoneySchema)


class BasketSchema(Schema):
    id = fields.String()
    customer_id = fields.String(allow_none=True)
    version = fields.Integer()
    lines = fields.List(fields.Nested(BasketLineSchema))
    item_count = fields.Integer()
    promotions = fields.List(fields.Dict(), metadata={"description": "id, name, kind, coupon_code, amount, line_ids"})
    coupons = fields.List(fields.Dict(), metadata={"description": "code, state (applied, not_applicable, expired, unknown), reason"})
    free_shipping = fields.Boolean()
    totals = fields.Nested(TotalsSchema)
    taxes = fields.List(fields.Dict(), metadata={"description": "rate, gross, tax: tax contained, per rate"})
    checkout_blocked_by = fields.List(fields.String())
    messages = fields.List(fields.String())
    created_at = fields.String()
    updated_at = fields.String()

"""Basket request arguments, and the documented answer shapes."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from simulator.schemas import MoneySchema

from .model import MessageCode
from .pricing import CouponState
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
    id = fields.String(required=True)
    token = fields.String(required=True, metadata={"description": "Send as `X-Basket-Token` to reach this basket."})


class LineProductSchema(Schema):
    """The product as the line shows it; a product gone from the catalog keeps its name and SKU."""

    name = fields.String(required=True)
    sku = fields.String(required=True)
    brand = fields.String(required=True, allow_none=True)
    image = fields.String(required=True, allow_none=True, metadata={"description": "URL of the first image."})
    stock = fields.Integer(required=True)


class DiscountSchema(Schema):
    promotion_id = fields.String(required=True)
    amount = fields.Nested(MoneySchema, required=True)


class BasketLineSchema(Schema):
    id = fields.String(required=True)
    product_id = fields.String(required=True)
    product = fields.Nested(LineProductSchema, required=True)
    quantity = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf([status.value for status in LineStatus]))
    unit_price = fields.Nested(MoneySchema, required=True, allow_none=True)
    previous_unit_price = fields.Nested(MoneySchema, required=True, allow_none=True, metadata={"description": "Set when the price changed since it was added."})
    subtotal = fields.Nested(MoneySchema, required=True)
    discounts = fields.List(fields.Nested(DiscountSchema), required=True)
    discount = fields.Nested(MoneySchema, required=True)
    total = fields.Nested(MoneySchema, required=True)
    tax_rate = fields.String(required=True, allow_none=True)


class TotalsSchema(Schema):
    subtotal = fields.Nested(MoneySchema, required=True)
    discount = fields.Nested(MoneySchema, required=True)
    shipping = fields.Nested(MoneySchema, required=True, metadata={"description": "0 in the basket; checkout prices delivery."})
    tax = fields.Nested(MoneySchema, required=True, metadata={"description": "Tax contained in the total."})
    total = fields.Nested(MoneySchema, required=True)


class AppliedPromotionSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
    coupon_code = fields.String(required=True, allow_none=True)
    amount = fields.Nested(MoneySchema, required=True)
    line_ids = fields.List(fields.String(), required=True, metadata={"description": "The lines it took off."})


class CouponStateSchema(Schema):
    code = fields.String(required=True)
    state = fields.String(required=True, validate=validate.OneOf([state.value for state in CouponState]))
    reason = fields.String(required=True, allow_none=True)


class TaxSchema(Schema):
    """Tax contained, per rate."""

    rate = fields.String(required=True, metadata={"example": "0.19"})
    gross = fields.Nested(MoneySchema, required=True)
    tax = fields.Nested(MoneySchema, required=True)


class BasketMessageSchema(Schema):
    """A message about the basket: a stable code and the line (or product) it is about, beside the English text."""

    code = fields.String(required=True, validate=validate.OneOf([code.value for code in MessageCode]), metadata={"example": "SOLD_OUT"})
    text = fields.String(required=True, metadata={"description": "English, to show as it is."})
    line_id = fields.String(required=True, allow_none=True, metadata={"description": "The basket line it is about, if any."})
    product_id = fields.String(required=True, allow_none=True, metadata={"description": "The product it is about, if any."})


class BasketSchema(Schema):
    id = fields.String(required=True)
    customer_id = fields.String(required=True, allow_none=True)
    version = fields.Integer(required=True)
    lines = fields.List(fields.Nested(BasketLineSchema), required=True)
    item_count = fields.Integer(required=True)
    promotions = fields.List(fields.Nested(AppliedPromotionSchema), required=True)
    coupons = fields.List(fields.Nested(CouponStateSchema), required=True)
    free_shipping = fields.Boolean(required=True)
    totals = fields.Nested(TotalsSchema, required=True)
    taxes = fields.List(fields.Nested(TaxSchema), required=True)
    checkout_blocked_by = fields.List(
        fields.Nested(BasketMessageSchema), required=True,
        metadata={"description": "What stops a checkout now (PRODUCT_UNAVAILABLE, SOLD_OUT, INSUFFICIENT_STOCK, BASKET_EMPTY); empty if nothing."},
    )
    messages = fields.List(fields.Nested(BasketMessageSchema), required=True)
    created_at = fields.String(required=True)
    updated_at = fields.String(required=True)

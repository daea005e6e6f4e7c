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
    product_id = fields.String(required=True, validate=ID, metadata={"example": "prd_54fgghpedsw0"})
    quantity = fields.Integer(load_default=1, validate=validate.Range(min=1, max=QUANTITY_MAX), strict=True, metadata={"example": 2})


class SetQuantitySchema(Schema):
    quantity = fields.Integer(
        required=True,
        validate=validate.Range(min=0, max=QUANTITY_MAX),
        strict=True,
        metadata={"description": "0 removes the line.", "example": 3},
    )


class CouponSchema(Schema):
    code = fields.String(
        required=True,
        validate=[validate.Length(min=1, max=40), validate.Regexp(r"^[A-Za-z0-9_-]+$")],
        metadata={"example": "WELCOME5"},
    )


class GuestBasketSchema(Schema):
    id = fields.String(required=True, metadata={"example": "bsk_56qt9z94nk93"})
    token = fields.String(
        required=True,
        metadata={"description": "Send as `X-Basket-Token` to reach this basket.", "example": "0fc5SlG_tV1qTvJ8gZQ0nUU3sDv2lwxGsY2KdRjIZvk"},
    )


class LineProductSchema(Schema):
    """The product as the line shows it; a product gone from the catalog keeps its name and SKU."""

    name = fields.String(required=True, metadata={"example": "Deleon Trail Travel Guide"})
    sku = fields.String(required=True, metadata={"example": "2406254338780"})
    brand = fields.String(required=True, allow_none=True, metadata={"example": "Deleon"})
    image = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "URL of the first image.", "example": "http://127.0.0.1:8000/media/products/prd_54fgghpedsw0/1.svg"},
    )
    stock = fields.Integer(required=True, metadata={"example": 15})


class DiscountSchema(Schema):
    promotion_id = fields.String(required=True, metadata={"example": "prm_740nrvej0ez8"})
    amount = fields.Nested(MoneySchema, required=True)


class BasketLineSchema(Schema):
    id = fields.String(required=True, metadata={"example": "itm_2xyacm3kyhyg"})
    product_id = fields.String(required=True, metadata={"example": "prd_54fgghpedsw0"})
    product = fields.Nested(LineProductSchema, required=True)
    quantity = fields.Integer(required=True, metadata={"example": 1})
    status = fields.String(required=True, validate=validate.OneOf([status.value for status in LineStatus]), metadata={"example": "ok"})
    unit_price = fields.Nested(MoneySchema, required=True, allow_none=True)
    previous_unit_price = fields.Nested(
        MoneySchema,
        required=True,
        allow_none=True,
        metadata={"description": "Set when the price changed since it was added."},
    )
    subtotal = fields.Nested(MoneySchema, required=True)
    discounts = fields.List(fields.Nested(DiscountSchema), required=True)
    discount = fields.Nested(MoneySchema, required=True)
    total = fields.Nested(MoneySchema, required=True)
    tax_rate = fields.String(required=True, allow_none=True, metadata={"example": "0.07"})


class TotalsSchema(Schema):
    subtotal = fields.Nested(MoneySchema, required=True)
    discount = fields.Nested(MoneySchema, required=True)
    shipping = fields.Nested(MoneySchema, required=True, metadata={"description": "0 in the basket; checkout prices delivery."})
    tax = fields.Nested(MoneySchema, required=True, metadata={"description": "Tax contained in the total."})
    total = fields.Nested(MoneySchema, required=True)


class AppliedPromotionSchema(Schema):
    id = fields.String(required=True, metadata={"example": "prm_740nrvej0ez8"})
    name = fields.String(required=True, metadata={"example": "3 off every book"})
    kind = fields.String(required=True, metadata={"example": "line_amount"})
    coupon_code = fields.String(required=True, allow_none=True, metadata={"example": "WELCOME5"})
    amount = fields.Nested(MoneySchema, required=True)
    line_ids = fields.List(fields.String(), required=True, metadata={"description": "The lines it took off.", "example": ["itm_2xyacm3kyhyg"]})


class CouponStateSchema(Schema):
    code = fields.String(required=True, metadata={"example": "WELCOME5"})
    state = fields.String(required=True, validate=validate.OneOf([state.value for state in CouponState]), metadata={"example": "applied"})
    reason = fields.String(required=True, allow_none=True, metadata={"example": "add at least 2 qualifying items"})


class TaxSchema(Schema):
    """Tax contained, per rate."""

    rate = fields.String(required=True, metadata={"example": "0.19"})
    gross = fields.Nested(MoneySchema, required=True)
    tax = fields.Nested(MoneySchema, required=True)


class BasketMessageSchema(Schema):
    """A message about the basket: a stable code and the line (or product) it is about, beside the English text."""

    code = fields.String(required=True, validate=validate.OneOf([code.value for code in MessageCode]), metadata={"example": "SOLD_OUT"})
    text = fields.String(
        required=True,
        metadata={"description": "English, to show as it is.", "example": "Cohen Urban Body Mist is sold out; remove it to check out."},
    )
    line_id = fields.String(
        required=True, allow_none=True, metadata={"description": "The basket line it is about, if any.", "example": "itm_2xyacm3kyhyg"},
    )
    product_id = fields.String(
        required=True, allow_none=True, metadata={"description": "The product it is about, if any.", "example": "prd_54fgghpedsw0"},
    )


class BasketSchema(Schema):
    id = fields.String(required=True, metadata={"example": "bsk_56qt9z94nk93"})
    customer_id = fields.String(required=True, allow_none=True, metadata={"example": "cus_cbxq7f8bkmt1"})
    version = fields.Integer(required=True, metadata={"example": 2})
    lines = fields.List(fields.Nested(BasketLineSchema), required=True)
    item_count = fields.Integer(required=True, metadata={"example": 1})
    promotions = fields.List(fields.Nested(AppliedPromotionSchema), required=True)
    coupons = fields.List(fields.Nested(CouponStateSchema), required=True)
    free_shipping = fields.Boolean(required=True, metadata={"example": False})
    totals = fields.Nested(TotalsSchema, required=True)
    taxes = fields.List(fields.Nested(TaxSchema), required=True)
    checkout_blocked_by = fields.List(
        fields.Nested(BasketMessageSchema), required=True,
        metadata={"description": "What stops a checkout now (PRODUCT_UNAVAILABLE, SOLD_OUT, INSUFFICIENT_STOCK, BASKET_EMPTY); empty if nothing."},
    )
    messages = fields.List(fields.Nested(BasketMessageSchema), required=True)
    created_at = fields.String(required=True, metadata={"example": "2026-12-01T21:41:54Z"})
    updated_at = fields.String(required=True, metadata={"example": "2026-12-01T21:41:54Z"})

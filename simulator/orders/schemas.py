"""Order request arguments and the documented order shape."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from simulator.basket.schemas import DiscountSchema, TaxSchema
from simulator.checkout.schemas import AddressSnapshotSchema, CheckoutTotalsSchema, DeliveryChoiceSchema
from simulator.schemas import MoneySchema

from .model import OrderStatus


class PlaceOrderSchema(Schema):
    comment = fields.String(
        validate=validate.Length(max=500),
        metadata={"description": "Shown on the order as `comment`.", "example": "Leave it at the door"},
    )


class CancelOrderSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500), metadata={"example": "Changed my mind"})


class OrderListArgs(Schema):
    status = fields.String(validate=validate.OneOf([status.value for status in OrderStatus]), metadata={"example": "placed"})


class OrderLineSchema(Schema):
    product_id = fields.String(required=True, metadata={"example": "prd_450qhzq3kza0"})
    sku = fields.String(required=True, metadata={"example": "2376784338393"})
    name = fields.String(required=True, metadata={"example": "Bush Smart Earbuds"})
    quantity = fields.Integer(required=True, metadata={"example": 2})
    unit_price = fields.Nested(MoneySchema, required=True)
    subtotal = fields.Nested(MoneySchema, required=True)
    discount = fields.Nested(MoneySchema, required=True)
    total = fields.Nested(MoneySchema, required=True)
    tax_rate = fields.String(required=True, metadata={"example": "0.19"})
    discounts = fields.List(fields.Nested(DiscountSchema), required=True)


class OrderPromotionSchema(Schema):
    id = fields.String(required=True, metadata={"example": "prm_740nrvej0ez8"})
    name = fields.String(required=True, metadata={"example": "3 off every book"})
    amount = fields.Nested(MoneySchema, required=True)


class OrderPaymentSchema(Schema):
    type = fields.String(required=True, metadata={"example": "card"})
    state = fields.String(required=True, metadata={"description": "authorized, captured, pending, refunded or voided", "example": "authorized"})
    amount = fields.Nested(MoneySchema, required=True)
    brand = fields.String(required=True, allow_none=True, metadata={"example": "visa"})
    last4 = fields.String(required=True, allow_none=True, metadata={"example": "3155"})
    refunded = fields.Nested(MoneySchema, required=True, allow_none=True)


class StatusChangeSchema(Schema):
    status = fields.String(required=True, metadata={"example": "placed"})
    at = fields.String(required=True, metadata={"example": "2026-12-01T21:41:54Z"})
    note = fields.String(required=True, allow_none=True, metadata={"example": "bank transfer received"})


class OrderSchema(Schema):
    id = fields.String(required=True, metadata={"example": "ord_13q647trvb02"})
    number = fields.String(required=True, metadata={"example": "AS-100018"})
    status = fields.String(required=True, validate=validate.OneOf([status.value for status in OrderStatus]), metadata={"example": "placed"})
    version = fields.Integer(required=True, metadata={"example": 1})
    customer_id = fields.String(required=True, allow_none=True, metadata={"example": "cus_cbxq7f8bkmt1"})
    email = fields.String(required=True, metadata={"example": "ada@example.org"})
    lines = fields.List(fields.Nested(OrderLineSchema), required=True)
    promotions = fields.List(fields.Nested(OrderPromotionSchema), required=True)
    coupons = fields.List(fields.String(), required=True, metadata={"example": ["WELCOME5"]})
    totals = fields.Nested(CheckoutTotalsSchema, required=True)
    taxes = fields.List(fields.Nested(TaxSchema), required=True)
    shipping_address = fields.Nested(AddressSnapshotSchema, required=True)
    billing_address = fields.Nested(AddressSnapshotSchema, required=True)
    delivery_option = fields.Nested(DeliveryChoiceSchema, required=True)
    payment = fields.Nested(OrderPaymentSchema, required=True)
    status_history = fields.List(fields.Nested(StatusChangeSchema), required=True)
    cancel_reason = fields.String(required=True, allow_none=True, metadata={"example": "Changed my mind"})
    comment = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "The customer's, as given when placing the order.", "example": "Leave it at the door"},
    )
    created_at = fields.String(required=True, metadata={"example": "2026-12-01T21:41:54Z"})
    updated_at = fields.String(required=True, metadata={"example": "2026-12-01T21:41:54Z"})

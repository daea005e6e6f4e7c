"""Order request arguments and the documented order shape."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from simulator.basket.schemas import DiscountSchema, TaxSchema
from simulator.checkout.schemas import AddressSnapshotSchema, CheckoutTotalsSchema, DeliveryChoiceSchema
from simulator.schemas import MoneySchema

from .model import OrderStatus


class PlaceOrderSchema(Schema):
    comment = fields.String(validate=validate.Length(max=500), metadata={"description": "Shown on the order as `comment`."})


class CancelOrderSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class OrderListArgs(Schema):
    status = fields.String(validate=validate.OneOf([status.value for status in OrderStatus]))


class OrderLineSchema(Schema):
    product_id = fields.String(required=True)
    sku = fields.String(required=True)
    name = fields.String(required=True)
    quantity = fields.Integer(required=True)
    unit_price = fields.Nested(MoneySchema, required=True)
    subtotal = fields.Nested(MoneySchema, required=True)
    discount = fields.Nested(MoneySchema, required=True)
    total = fields.Nested(MoneySchema, required=True)
    tax_rate = fields.String(required=True)
    discounts = fields.List(fields.Nested(DiscountSchema), required=True)


class OrderPromotionSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    amount = fields.Nested(MoneySchema, required=True)


class OrderPaymentSchema(Schema):
    type = fields.String(required=True)
    state = fields.String(required=True, metadata={"description": "authorized, captured, pending, refunded or voided"})
    amount = fields.Nested(MoneySchema, required=True)
    brand = fields.String(required=True, allow_none=True)
    last4 = fields.String(required=True, allow_none=True)
    refunded = fields.Nested(MoneySchema, required=True, allow_none=True)


class StatusChangeSchema(Schema):
    status = fields.String(required=True)
    at = fields.String(required=True)
    note = fields.String(required=True, allow_none=True)


class OrderSchema(Schema):
    id = fields.String(required=True)
    number = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf([status.value for status in OrderStatus]))
    version = fields.Integer(required=True)
    customer_id = fields.String(required=True, allow_none=True)
    email = fields.String(required=True)
    lines = fields.List(fields.Nested(OrderLineSchema), required=True)
    promotions = fields.List(fields.Nested(OrderPromotionSchema), required=True)
    coupons = fields.List(fields.String(), required=True)
    totals = fields.Nested(CheckoutTotalsSchema, required=True)
    taxes = fields.List(fields.Nested(TaxSchema), required=True)
    shipping_address = fields.Nested(AddressSnapshotSchema, required=True)
    billing_address = fields.Nested(AddressSnapshotSchema, required=True)
    delivery_option = fields.Nested(DeliveryChoiceSchema, required=True)
    payment = fields.Nested(OrderPaymentSchema, required=True)
    status_history = fields.List(fields.Nested(StatusChangeSchema), required=True)
    cancel_reason = fields.String(required=True, allow_none=True)
    comment = fields.String(required=True, allow_none=True, metadata={"description": "The customer's, as given when placing the order."})
    created_at = fields.String(required=True)
    updated_at = fields.String(required=True)

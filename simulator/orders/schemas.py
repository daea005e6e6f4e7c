"""Order request arguments and the documented order shape."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from simulator.checkout.schemas import CheckoutTotalsSchema

from .model import OrderStatus


class PlaceOrderSchema(Schema):
    comment = fields.String(validate=validate.Length(max=500))


class CancelOrderSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class OrderListArgs(Schema):
    status = fields.String(validate=validate.OneOf([status.value for status in OrderStatus]))


class OrderSchema(Schema):
    id = fields.String()
    number = fields.String()
    status = fields.String()
    version = fields.Integer()
    customer_id = fields.String(allow_none=True)
    email = fields.String()
    lines = fields.List(fields.Dict())
    promotions = fields.List(fields.Dict())
    coupons = fields.List(fields.String())
    totals = fields.Nested(CheckoutTotalsSchema)
    taxes = fields.List(fields.Dict())
    shipping_address = fields.Dict()
    billing_address = fields.Dict()
    delivery = fields.Dict()
    payment = fields.Dict()
    status_history = fields.List(fields.Dict())
    cancel_reason = fields.String(allow_none=True)
    created_at = fields.String()
    updated_at = fields.String()

"""Checkout request arguments and the documented answer shapes."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates_schema

from simulator.customers.schemas import PostalAddressSchema
from simulator.schemas import MoneySchema

ID = validate.Length(min=1, max=64)


class OpenCheckoutSchema(Schema):
    email = fields.Email(validate=validate.Length(max=254), metadata={"description": "Guests only: where the confirmation goes."})


class AddressChoiceSchema(Schema):
    address_id = fields.String(validate=ID, metadata={"description": "An address from the caller's address book."})
    address = fields.Nested(PostalAddressSchema, metadata={"description": "Or an inline address, as the address book takes it."})

    @validates_schema
    def _one_of(self, data, **kwargs):
        if ("address_id" in data) == ("address" in data):
            raise ValidationError("give exactly one of address_id and address", "_schema")


class BillingAddressSchema(AddressChoiceSchema):
    same_as_shipping = fields.Boolean(load_default=False)

    @validates_schema
    def _one_of(self, data, **kwargs):
        given = ("address_id" in data) + ("address" in data) + bool(data.get("same_as_shipping"))
        if given != 1:
            raise ValidationError("give exactly one of address_id, address and same_as_shipping: true", "_schema")


class PaymentTypeSchema(Schema):
    payment_type = fields.String(required=True, validate=validate.Length(min=1, max=40))


class DeliveryOptionSchema(Schema):
    delivery_option_id = fields.String(required=True, validate=validate.Length(min=1, max=64))


class CardSchema(Schema):
    number = fields.String(required=True, validate=validate.Length(min=12, max=23))
    expiry_month = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=12))
    expiry_year = fields.Integer(required=True, strict=True, validate=validate.Range(min=2000, max=2100))
    cvc = fields.String(required=True, validate=validate.Length(min=3, max=4))
    holder = fields.String(validate=validate.Length(max=100))

    @pre_load
    def _digits(self, data, **kwargs):
        if isinstance(data, dict) and isinstance(data.get("number"), str):
            data = {**data, "number": data["number"].replace(" ", "").replace("-", "")}
        return data


class PaymentSchema(Schema):
    card = fields.Nested(CardSchema, metadata={"description": "For card payments; test numbers decide the outcome."})
    return_url = fields.Url(require_tld=False, validate=validate.Length(max=2000), metadata={"description": "Redirect payments: where the payment page sends the shopper back."})


class PlaceOrderSchema(Schema):
    comment = fields.String(validate=validate.Length(max=500))


class CancelOrderSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class OrderListArgs(Schema):
    status = fields.String(validate=validate.OneOf(["awaiting_payment", "placed", "paid", "processing", "shipped", "delivered", "cancelled"]))


class CheckoutTotalsSchema(Schema):
    subtotal = fields.Nested(MoneySchema)
    discount = fields.Nested(MoneySchema)
    shipping = fields.Nested(MoneySchema)
    payment_fee = fields.Nested(MoneySchema)
    tax = fields.Nested(MoneySchema)
    total = fields.Nested(MoneySchema)


class CheckoutSchema(Schema):
    id = fields.String()
    status = fields.String(metadata={"description": "open or completed"})
    version = fields.Integer()
    email = fields.String()
    steps = fields.Dict(metadata={"description": "step → {state: done | pending}"})
    next_step = fields.String(allow_none=True)
    shipping_address = fields.Dict(allow_none=True)
    billing_address = fields.Dict(allow_none=True)
    billing_same_as_shipping = fields.Boolean()
    payment_type = fields.String(allow_none=True)
    delivery_option = fields.Dict(allow_none=True)
    payment = fields.Dict(allow_none=True, metadata={"description": "type, state, amount, brand, last4, decline_code"})
    basket = fields.Dict()
    totals = fields.Nested(CheckoutTotalsSchema)
    taxes = fields.List(fields.Dict())
    messages = fields.List(fields.String())
    order_id = fields.String(allow_none=True)
    created_at = fields.String()
    updated_at = fields.String()


class PaymentChoiceSchema(Schema):
    id = fields.String()
    name = fields.String()
    flow = fields.String()
    fee = fields.Nested(MoneySchema)
    available = fields.Boolean()
    reason = fields.String(allow_none=True)


class DeliveryQuoteSchema(Schema):
    id = fields.String()
    name = fields.String()
    carrier = fields.String()
    price = fields.Nested(MoneySchema)
    regular_price = fields.Nested(MoneySchema)
    estimated_delivery = fields.Dict()


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

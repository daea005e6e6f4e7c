"""Checkout request arguments and the documented answer shapes."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates_schema

from simulator.basket.schemas import BasketMessageSchema, BasketSchema, TaxSchema
from simulator.customers.schemas import PostalAddressSchema
from simulator.schemas import MoneySchema, PostalFieldsSchema

from .options import PaymentFlow

ID = validate.Length(min=1, max=64)


class OpenCheckoutSchema(Schema):
    email = fields.Email(
        validate=validate.Length(max=254),
        metadata={"description": "Guests only: where the confirmation goes.", "example": "guest@example.org"},
    )


class AddressChoiceSchema(Schema):
    address_id = fields.String(validate=ID, metadata={"description": "An address from the caller's address book.", "example": "adr_c0hdcnqta21h"})
    address = fields.Nested(PostalAddressSchema, metadata={"description": "Or an inline address, as the address book takes it."})

    @validates_schema
    def _one_of(self, data, **kwargs):
        if ("address_id" in data) == ("address" in data):
            raise ValidationError("give exactly one of address_id and address", "_schema")


class BillingAddressSchema(AddressChoiceSchema):
    same_as_shipping = fields.Boolean(load_default=False, metadata={"example": True})

    @validates_schema
    def _one_of(self, data, **kwargs):
        given = ("address_id" in data) + ("address" in data) + bool(data.get("same_as_shipping"))
        if given != 1:
            raise ValidationError("give exactly one of address_id, address and same_as_shipping: true", "_schema")


class PaymentTypeSchema(Schema):
    payment_type = fields.String(required=True, validate=validate.Length(min=1, max=40), metadata={"example": "card"})


class DeliveryOptionSchema(Schema):
    delivery_option_id = fields.String(required=True, validate=validate.Length(min=1, max=64), metadata={"example": "dhl-standard"})


class CardSchema(Schema):
    number = fields.String(required=True, validate=validate.Length(min=12, max=23), metadata={"example": "4000 0025 0000 3155"})
    expiry_month = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=12), metadata={"example": 12})
    expiry_year = fields.Integer(required=True, strict=True, validate=validate.Range(min=2000, max=2100), metadata={"example": 2031})
    cvc = fields.String(required=True, validate=validate.Length(min=3, max=4), metadata={"example": "123"})
    holder = fields.String(validate=validate.Length(max=100), metadata={"example": "Ada Lovelace"})

    @pre_load
    def _digits(self, data, **kwargs):
        if isinstance(data, dict) and isinstance(data.get("number"), str):
            data = {**data, "number": data["number"].replace(" ", "").replace("-", "")}
        return data


class PaymentSchema(Schema):
    card = fields.Nested(CardSchema, metadata={"description": "For card payments; test numbers decide the outcome."})
    return_url = fields.Url(
        require_tld=False,
        validate=validate.Length(max=2000),
        metadata={
            "description": "Redirect payments: where the payment page sends the shopper back.",
            "example": "https://shop.example/checkout/return",
        },
    )


class CheckoutTotalsSchema(Schema):
    subtotal = fields.Nested(MoneySchema, required=True)
    discount = fields.Nested(MoneySchema, required=True)
    shipping = fields.Nested(MoneySchema, required=True)
    payment_fee = fields.Nested(MoneySchema, required=True)
    tax = fields.Nested(MoneySchema, required=True)
    total = fields.Nested(MoneySchema, required=True)


class StepSchema(Schema):
    state = fields.String(required=True, validate=validate.OneOf(["done", "pending"]), metadata={"example": "pending"})


class AddressSnapshotSchema(PostalFieldsSchema):
    """An address as the checkout (and then the order) keeps it: a copy, not a reference."""


class EstimatedDeliverySchema(Schema):
    earliest = fields.String(required=True, metadata={"example": "2026-12-03"})
    latest = fields.String(required=True, metadata={"example": "2026-12-05"})


class DeliveryChoiceSchema(Schema):
    """A delivery option as the checkout that chose it, and then its order, show it."""

    id = fields.String(required=True, metadata={"example": "dhl-standard"})
    name = fields.String(required=True, metadata={"example": "Standard"})
    carrier = fields.String(required=True, metadata={"example": "DHL"})
    price = fields.Nested(MoneySchema, required=True)
    estimated_delivery = fields.Nested(EstimatedDeliverySchema, required=True)


class DeliveryQuoteSchema(DeliveryChoiceSchema):
    regular_price = fields.Nested(MoneySchema, required=True, metadata={"description": "Before a free-shipping promotion."})


class CheckoutPaymentSchema(Schema):
    type = fields.String(required=True, metadata={"example": "card"})
    state = fields.String(
        required=True,
        metadata={
            "description": "authorized, pending, requires_confirmation, pending_redirect, declined or cancelled",
            "example": "requires_confirmation",
        },
    )
    amount = fields.Nested(MoneySchema, required=True)
    brand = fields.String(required=True, allow_none=True, metadata={"example": "visa"})
    last4 = fields.String(required=True, allow_none=True, metadata={"example": "3155"})
    decline_code = fields.String(required=True, allow_none=True, metadata={"example": "INSUFFICIENT_FUNDS"})
    redirect_url = fields.String(
        metadata={
            "description": "Redirect payments, in the answer that starts them: where to send the shopper.",
            "example": "http://127.0.0.1:8000/payments/redirect/9CgsPoQLZDu76mxrnXDXPkaZ5GPhv8z5hdZ9oEn7UCs",
        },
    )


class CheckoutSchema(Schema):
    id = fields.String(required=True, metadata={"example": "chk_sfnprv4mpf34"})
    status = fields.String(required=True, metadata={
        "description": "open; completed (it became `order_id`); closed (a newer checkout of its basket replaced it)",
        "example": "open",
    })
    version = fields.Integer(required=True, metadata={"example": 1})
    email = fields.String(required=True, metadata={"example": "ada@example.org"})
    steps = fields.Dict(required=True, keys=fields.String(), values=fields.Nested(StepSchema))
    next_step = fields.String(required=True, allow_none=True, metadata={"example": "shipping_address"})
    shipping_address = fields.Nested(AddressSnapshotSchema, required=True, allow_none=True)
    billing_address = fields.Nested(AddressSnapshotSchema, required=True, allow_none=True)
    billing_same_as_shipping = fields.Boolean(required=True, metadata={"example": False})
    payment_type = fields.String(required=True, allow_none=True, metadata={"example": "card"})
    delivery_option = fields.Nested(DeliveryQuoteSchema, required=True, allow_none=True)
    payment = fields.Nested(CheckoutPaymentSchema, required=True, allow_none=True)
    basket = fields.Nested(BasketSchema, required=True)
    totals = fields.Nested(CheckoutTotalsSchema, required=True)
    taxes = fields.List(fields.Nested(TaxSchema), required=True)
    messages = fields.List(fields.Nested(BasketMessageSchema), required=True)
    order_id = fields.String(required=True, allow_none=True, metadata={"example": "ord_13q647trvb02"})
    created_at = fields.String(required=True, metadata={"example": "2026-12-01T21:41:54Z"})
    updated_at = fields.String(required=True, metadata={"example": "2026-12-01T21:41:54Z"})


class PaymentChoiceSchema(Schema):
    id = fields.String(required=True, metadata={"example": "card"})
    name = fields.String(required=True, metadata={"example": "Credit or debit card"})
    flow = fields.String(required=True, validate=validate.OneOf([flow.value for flow in PaymentFlow]), metadata={
        "description": "What `POST /checkout/{id}/payment` takes: card, the card details; redirect, `{}` or a `return_url` "
                       "(the answer has the `redirect_url` to send the shopper to); bank_transfer and on_delivery, `{}` "
                       "(the payment is recorded as pending, paid by transfer or to the courier later).",
        "example": "card",
    })
    payment_call_required = fields.Boolean(required=True, metadata={
        "description": "Whether `POST /checkout/{id}/payment` must still be called before the order; true for every type, "
                       "those that need no card too.",
        "example": True,
    })
    fee = fields.Nested(MoneySchema, required=True)
    available = fields.Boolean(required=True, metadata={"example": True})
    reason = fields.String(required=True, allow_none=True, metadata={"example": "only for orders up to 500.00"})


class PaymentPageStateSchema(Schema):
    state = fields.String(required=True, metadata={"description": "authorized or cancelled", "example": "authorized"})


class PaymentPageAnswerSchema(Schema):
    """The payment page's answer when the checkout gave no `return_url` to go back to."""

    checkout_id = fields.String(required=True, metadata={"example": "chk_nkz750qa804e"})
    payment = fields.Nested(PaymentPageStateSchema, required=True)

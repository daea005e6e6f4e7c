"""Schemas shared by every webservice family: money, postal fields, problems, amounts."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from marshmallow import Schema, ValidationError, fields, validate

MAX_AMOUNT = Decimal("1000000")


class MoneySchema(Schema):
    amount = fields.String(required=True, metadata={"description": "Decimal string with two places.", "example": "12.34"})
    currency = fields.String(required=True, metadata={"example": "EUR"})


class ShortLineSchema(Schema):
    product_id = fields.String(required=True, metadata={"example": "prd_ra0twtajcrj7"})
    requested = fields.Integer(required=True, metadata={"example": 3})
    available = fields.Integer(required=True, metadata={"example": 1})


class PostalFieldsSchema(Schema):
    """The postal fields of an address as answers show them: every one present, null where
    an optional one is empty. The address book's addresses and the checkout's copies share them."""

    first_name = fields.String(required=True, metadata={"example": "Ada"})
    last_name = fields.String(required=True, metadata={"example": "Lovelace"})
    company = fields.String(required=True, allow_none=True, metadata={"example": "Engines"})
    line1 = fields.String(required=True, metadata={"example": "Unter den Linden 77"})
    line2 = fields.String(required=True, allow_none=True, metadata={"example": "2nd floor"})
    postal_code = fields.String(required=True, metadata={"example": "10117"})
    city = fields.String(required=True, metadata={"example": "Berlin"})
    region = fields.String(required=True, allow_none=True, metadata={"example": "Berlin"})
    country = fields.String(required=True, metadata={"example": "DE"})
    phone = fields.String(required=True, allow_none=True, metadata={"example": "+49 30 1234567"})


class ProblemSchema(Schema):
    """RFC 9457 problem details, as every error answers. Beyond the standard members, an
    error may carry the facts a client needs to recover (each named by the codes that send it)."""

    type = fields.String(required=True, metadata={"example": "https://alegra-sim.dev/problems/insufficient-stock"})
    title = fields.String(required=True, metadata={"description": "The HTTP status phrase.", "example": "Conflict"})
    status = fields.Integer(required=True, metadata={"example": 409})
    detail = fields.String(required=True, metadata={"example": "Only 3 of Cochran Essential Steel Polo Shirt available."})
    code = fields.String(required=True, metadata={"description": "Stable UPPER_SNAKE machine code.", "example": "INSUFFICIENT_STOCK"})
    errors = fields.Dict(
        keys=fields.String(), values=fields.String(),
        metadata={"description": "Field → message, for validation failures.", "example": {"quantity": "Must be greater than or equal to 1."}},
    )
    product_id = fields.String(metadata={"description": "INSUFFICIENT_STOCK, PRODUCT_UNAVAILABLE: the product.", "example": "prd_ra0twtajcrj7"})
    available = fields.Integer(metadata={"description": "INSUFFICIENT_STOCK (basket): how many can be had.", "example": 3})
    lines = fields.List(fields.Nested(ShortLineSchema), metadata={"description": "INSUFFICIENT_STOCK (order): every line that cannot be had."})
    current_version = fields.Integer(metadata={"description": "VERSION_MISMATCH: the version that is current.", "example": 4})
    missing_step = fields.String(metadata={"description": "A checkout step taken too early: the step to take first.", "example": "shipping_address"})
    total = fields.Nested(MoneySchema, metadata={"description": "CHECKOUT_OUTDATED: the total now, to review."})
    # By name: the basket's message shape, which this module (below every package) cannot import.
    problems = fields.List(fields.Nested("BasketMessageSchema"), metadata={"description": "BASKET_NOT_READY: what stands in the way."})
    order_status = fields.String(metadata={"description": "ORDER_NOT_CANCELLABLE: the order's status.", "example": "shipped"})
    checkout_id = fields.String(metadata={"description": "A declined payment: its checkout.", "example": "chk_0rz13rqtpfxe"})
    order_id = fields.String(
        metadata={"description": "CHECKOUT_COMPLETED, CHECKOUT_CLOSED: the order its basket became.", "example": "ord_13q647trvb02"},
    )
    retry_after_seconds = fields.Integer(
        metadata={"description": "TOO_MANY_ATTEMPTS: seconds until the next try (also `Retry-After`).", "example": 840},
    )


def _two_places(value: Decimal) -> None:
    if value.as_tuple().exponent < -2:
        raise ValidationError("at most two decimal places")


def Amount(**kwargs) -> fields.Decimal:
    """A money amount in input: a decimal string (or number) above zero, two places at most."""
    return fields.Decimal(
        as_string=True,
        rounding=ROUND_HALF_UP,
        validate=[validate.Range(min=Decimal("0.01"), max=MAX_AMOUNT), _two_places],
        metadata={"example": "19.99", **kwargs.pop("metadata", {})},
        **kwargs,
    )

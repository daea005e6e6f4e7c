"""Schemas shared by every webservice family: money, problems, amounts."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from marshmallow import Schema, ValidationError, fields, validate

MAX_AMOUNT = Decimal("1000000")


class MoneySchema(Schema):
    amount = fields.String(required=True, metadata={"description": "Decimal string with two places.", "example": "12.34"})
    currency = fields.String(required=True, metadata={"example": "EUR"})


class ProblemSchema(Schema):
    """RFC 9457 problem details, as every error answers."""

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    code = fields.String(metadata={"description": "Stable UPPER_SNAKE machine code.", "example": "PRODUCT_NOT_FOUND"})
    errors = fields.Dict(keys=fields.String(), values=fields.String(), metadata={"description": "Field → message, for validation failures."})


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

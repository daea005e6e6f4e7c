"""Request and response shapes of the simulator controls."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

MAX_RESET_PRODUCTS = 500_000


class ResetSchema(Schema):
    seed = fields.Integer(validate=validate.Range(min=0, max=2**63 - 1), metadata={"example": 42})
    products = fields.Integer(validate=validate.Range(min=0, max=MAX_RESET_PRODUCTS), metadata={"example": 1000})


class ResetResultSchema(Schema):
    seed = fields.Integer(required=True, metadata={"example": 42})
    products = fields.Integer(required=True, metadata={"example": 60})


class ClockSchema(Schema):
    now = fields.String(required=True, metadata={"example": "2026-11-29T18:45:09Z"})
    frozen = fields.Boolean(required=True, metadata={"example": False})
    offset_seconds = fields.Float(required=True, metadata={"description": "Simulated minus real time, while running.", "example": 0.0})


class ClockActionSchema(Schema):
    action = fields.String(required=True, validate=validate.OneOf(["freeze", "resume", "set", "advance", "reset"]), metadata={"example": "advance"})
    to = fields.DateTime(metadata={"description": "With `set`: the new time (RFC 3339).", "example": "2026-12-24T09:00:00Z"})
    seconds = fields.Integer(validate=validate.Range(min=0, max=10 * 365 * 24 * 3600), metadata={"description": "With `advance`.", "example": 60})

    @validates_schema
    def _arguments(self, data, **kwargs):
        if data["action"] == "set" and "to" not in data:
            raise ValidationError("`set` needs `to`", "to")
        if data["action"] == "advance" and "seconds" not in data:
            raise ValidationError("`advance` needs `seconds`", "seconds")


class ChurnSchema(Schema):
    per_minute = fields.Float(required=True, metadata={"description": "Changes per simulated minute (0: off).", "example": 30.0})
    mix = fields.Dict(
        required=True,
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "Relative weight of each kind of change.", "example": {"price": 40, "stock": 40, "create": 10, "delete": 10}},
    )


class ChurnRunSchema(Schema):
    changes = fields.Integer(required=True, validate=validate.Range(min=1, max=10_000), metadata={"example": 5})


class ChurnRunResultSchema(Schema):
    applied = fields.Dict(
        required=True,
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"example": {"price": 2, "stock": 3, "create": 0, "delete": 0}},
    )

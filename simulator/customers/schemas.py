"""Customer request arguments and response shapes (the latter document `serialize.py`).

The request schemas are where customer fields are checked: types, sizes, trimmed
single-line text, email and phone formats. The services take what these load and
keep the rules that need the store or more than one field: a free email, the
password policy, a postal code valid for its country, the default addresses.
"""

from __future__ import annotations

import re

from marshmallow import Schema, ValidationError, fields, validate

from simulator.schemas import PostalFieldsSchema
from simulator.tokens import MAX_LENGTH as TOKEN_MAX

from .countries import COUNTRIES, phone_problem
from .passwords import MAX_LENGTH as PASSWORD_MAX

EMAIL_MAX = 254
NAME = validate.Length(min=1, max=100)
PASSWORD = validate.Length(min=1, max=PASSWORD_MAX)
TOKEN = validate.Length(min=1, max=TOKEN_MAX)
TIMESTAMP = {"example": "2026-11-29T18:45:09Z"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class Text(fields.String):
    """Single-line text, trimmed. Blank text is refused, or read as null where null is
    allowed (an optional field sent empty means "none"). Validators see the trimmed text."""

    default_error_messages = {"blank": "must not be blank", "control": "must not contain control characters"}

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not text:
            if self.allow_none:
                return None
            raise self.make_error("blank")
        if _CONTROL.search(text):
            raise self.make_error("control")
        return text

    def _validate(self, value):
        if value is not None:  # blank read as null: nothing left to check
            super()._validate(value)


def _phone(value: str) -> None:
    problem = phone_problem(value)
    if problem:
        raise ValidationError(problem)


def Phone(**kwargs) -> Text:
    """An optional phone number: international or national notation, 6 to 15 digits."""
    return Text(allow_none=True, validate=[validate.Length(max=30), _phone], **kwargs)


def BasketToken() -> fields.String:
    """A guest basket's token, sent at login or registration to keep what the guest chose."""
    return fields.String(
        validate=TOKEN,
        metadata={"description": "A guest basket's token: its lines merge into the customer's basket (quantities add up, capped at stock); "
                                 "`basket_merge` in the answer says whether it was found.",
                  "example": "0fc5SlG_tV1qTvJ8gZQ0nUU3sDv2lwxGsY2KdRjIZvk"},
    )


class RegisterSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=EMAIL_MAX), metadata={"example": "ada@example.com"})
    password = fields.String(
        required=True,
        validate=PASSWORD,
        metadata={"description": "At least 8 characters, not the email, not a common password.", "example": "correct horse battery"},
    )
    first_name = Text(required=True, validate=NAME, metadata={"example": "Ada"})
    last_name = Text(required=True, validate=NAME, metadata={"example": "Lovelace"})
    phone = Phone(metadata={"example": "+49 30 1234567"})
    marketing_consent = fields.Boolean(load_default=False, metadata={"example": True})
    basket_token = BasketToken()


class LoginSchema(Schema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=EMAIL_MAX), metadata={"example": "demo@example.com"})
    password = fields.String(required=True, validate=PASSWORD, metadata={"example": "alegra-sim-2026"})
    basket_token = BasketToken()


class ForgotPasswordSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=EMAIL_MAX), metadata={"example": "ada@example.org"})


class ResetPasswordSchema(Schema):
    token = fields.String(
        required=True,
        validate=TOKEN,
        metadata={"description": "From the reset mail (see /_sim/outbox).", "example": "Lxe3LUfArqX84ZdpKVZOEzS7icfTOjMy0rh_ad3u-xw"},
    )
    password = fields.String(
        required=True,
        validate=PASSWORD,
        metadata={"description": "The new password (same policy as registration).", "example": "a brand new secret"},
    )


class ChangePasswordSchema(Schema):
    current_password = fields.String(required=True, validate=PASSWORD, metadata={"example": "correct horse battery"})
    new_password = fields.String(required=True, validate=PASSWORD, metadata={"example": "a brand new secret"})


class ProfilePatchSchema(Schema):
    first_name = Text(validate=NAME, metadata={"example": "Ada"})
    last_name = Text(validate=NAME, metadata={"example": "Lovelace"})
    phone = Phone(metadata={"description": "null removes it.", "example": "+49 30 7654321"})
    marketing_consent = fields.Boolean(metadata={"example": True})
    email = fields.Email(
        validate=validate.Length(max=EMAIL_MAX),
        metadata={"description": "A new email needs `current_password`.", "example": "ada.lovelace@example.org"},
    )
    current_password = fields.String(validate=PASSWORD, metadata={"example": "correct horse battery"})


class CustomerSchema(Schema):
    id = fields.String(required=True, metadata={"example": "cus_3k9x0m2q7w1d"})
    email = fields.String(required=True, metadata={"example": "ada@example.org"})
    first_name = fields.String(required=True, metadata={"example": "Ada"})
    last_name = fields.String(required=True, metadata={"example": "Lovelace"})
    phone = fields.String(required=True, allow_none=True, metadata={"example": "+49 30 7654321"})
    marketing_consent = fields.Boolean(required=True, metadata={"example": False})
    default_shipping_address_id = fields.String(required=True, allow_none=True, metadata={"example": "adr_c0hdcnqta21h"})
    default_billing_address_id = fields.String(required=True, allow_none=True, metadata={"example": "adr_c0hdcnqta21h"})
    version = fields.Integer(required=True, metadata={"description": "Grows with every change; also the ETag.", "example": 1})
    created_at = fields.String(required=True, metadata=TIMESTAMP)
    updated_at = fields.String(required=True, metadata=TIMESTAMP)


class BasketMergeSchema(Schema):
    state = fields.String(
        required=True, validate=validate.OneOf(["merged", "not_found"]),
        metadata={
            "description": "merged, or not_found: the token named no live guest basket (unknown or expired), nothing was merged.",
            "example": "merged",
        },
    )
    basket_id = fields.String(required=True, metadata={"description": "The customer's basket.", "example": "bsk_0rz13rqtpfxe"})


class SessionSchema(Schema):
    token = fields.String(
        required=True,
        metadata={"description": "Send as `Authorization: Bearer <token>`.", "example": "CpYzMS0GtqwRA815Zmyf1-hfq89P0ppFqElM2TalCnE"},
    )
    token_type = fields.String(required=True, metadata={"example": "Bearer"})
    expires_at = fields.String(required=True, metadata=TIMESTAMP)
    expires_in = fields.Integer(required=True, metadata={"description": "Seconds until the token expires (simulator clock).", "example": 86399})
    customer = fields.Nested(CustomerSchema, required=True)
    basket_merge = fields.Nested(
        BasketMergeSchema, required=True, allow_none=True, metadata={"description": "null unless the request sent a `basket_token`."},
    )


class AcceptedSchema(Schema):
    status = fields.String(required=True, metadata={"example": "accepted"})
    detail = fields.String(required=True, metadata={"example": "If an account exists for this email, a reset link is on its way."})


_COUNTRY_LIST = ", ".join(sorted(COUNTRIES))


class PostalAddressSchema(Schema):
    """A postal address as a customer writes it: in the address book or inline at checkout."""

    first_name = Text(required=True, validate=NAME, metadata={"example": "Ada"})
    last_name = Text(required=True, validate=NAME, metadata={"example": "Lovelace"})
    company = Text(allow_none=True, validate=validate.Length(max=100), metadata={"example": "Engines"})
    line1 = Text(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "Street and number.", "example": "Unter den Linden 77"},
    )
    line2 = Text(allow_none=True, validate=validate.Length(max=200), metadata={"example": "2nd floor"})
    postal_code = Text(
        required=True,
        validate=validate.Length(min=1, max=20),
        metadata={"description": "Checked against the country's format.", "example": "10117"},
    )
    city = Text(required=True, validate=NAME, metadata={"example": "Berlin"})
    region = Text(allow_none=True, validate=validate.Length(max=100), metadata={"example": "Berlin"})
    # Longer than a code, so "DEU" is read and answered with the list of countries.
    country = Text(
        required=True,
        validate=validate.Length(min=1, max=10),
        metadata={"description": f"ISO 3166-1 alpha-2, one of {_COUNTRY_LIST}.", "example": "DE"},
    )
    phone = Phone(metadata={"example": "+49 30 1234567"})


class AddressWriteSchema(PostalAddressSchema):
    is_default_shipping = fields.Boolean(
        allow_none=True,
        metadata={"description": "true makes it the default (clearing the old one); left out: unchanged.", "example": True},
    )
    is_default_billing = fields.Boolean(
        allow_none=True,
        metadata={"description": "true makes it the default (clearing the old one); left out: unchanged.", "example": False},
    )


class AddressSchema(PostalFieldsSchema):
    """An address of the address book."""

    id = fields.String(required=True, metadata={"example": "adr_8w2k4m9q1x0c"})
    is_default_shipping = fields.Boolean(required=True, metadata={"example": True})
    is_default_billing = fields.Boolean(required=True, metadata={"example": True})
    version = fields.Integer(required=True, metadata={"description": "Grows with every change; also the ETag.", "example": 1})
    created_at = fields.String(required=True, metadata=TIMESTAMP)
    updated_at = fields.String(required=True, metadata=TIMESTAMP)

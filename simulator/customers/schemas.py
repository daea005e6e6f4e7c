"""Customer request arguments and response shapes (the latter document `serialize.py`).

The schemas check types and sizes; the rules (password policy, countries, postal
codes, phones) live in the service, so they hold without HTTP too.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .countries import COUNTRIES
from .passwords import MAX_LENGTH as PASSWORD_MAX

EMAIL_MAX = 254
NAME = validate.Length(min=1, max=100)
PASSWORD = validate.Length(min=1, max=PASSWORD_MAX)
TIMESTAMP = {"example": "2026-11-29T18:45:09Z"}


class RegisterSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=EMAIL_MAX), metadata={"example": "ada@example.com"})
    password = fields.String(
        required=True,
        validate=PASSWORD,
        metadata={"description": "At least 8 characters, not the email, not a common password.", "example": "correct horse battery"},
    )
    first_name = fields.String(required=True, validate=NAME, metadata={"example": "Ada"})
    last_name = fields.String(required=True, validate=NAME, metadata={"example": "Lovelace"})
    phone = fields.String(allow_none=True, validate=validate.Length(max=30), metadata={"example": "+49 30 1234567"})
    marketing_consent = fields.Boolean(load_default=False)


class LoginSchema(Schema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=EMAIL_MAX), metadata={"example": "demo@example.com"})
    password = fields.String(required=True, validate=PASSWORD, metadata={"example": "alegra-sim-2026"})
    basket_token = fields.String(
        validate=validate.Length(min=1, max=512),
        metadata={"description": "A guest basket's token: its lines merge into the customer's basket (quantities add up, capped at stock)."},
    )


class ForgotPasswordSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=EMAIL_MAX))


class ResetPasswordSchema(Schema):
    token = fields.String(required=True, validate=validate.Length(min=1, max=512), metadata={"description": "From the reset mail (see /_sim/outbox)."})
    password = fields.String(required=True, validate=PASSWORD, metadata={"description": "The new password (same policy as registration)."})


class ChangePasswordSchema(Schema):
    current_password = fields.String(required=True, validate=PASSWORD)
    new_password = fields.String(required=True, validate=PASSWORD)


class ProfilePatchSchema(Schema):
    first_name = fields.String(validate=NAME)
    last_name = fields.String(validate=NAME)
    phone = fields.String(allow_none=True, validate=validate.Length(max=30), metadata={"description": "null removes it."})
    marketing_consent = fields.Boolean()
    email = fields.Email(validate=validate.Length(max=EMAIL_MAX), metadata={"description": "A new email needs `current_password`."})
    current_password = fields.String(validate=PASSWORD)


class CustomerSchema(Schema):
    id = fields.String(metadata={"example": "cus_3k9x0m2q7w1d"})
    email = fields.String()
    first_name = fields.String()
    last_name = fields.String()
    phone = fields.String(allow_none=True)
    marketing_consent = fields.Boolean()
    default_shipping_address_id = fields.String(allow_none=True)
    default_billing_address_id = fields.String(allow_none=True)
    version = fields.Integer(metadata={"description": "Grows with every change; also the ETag."})
    created_at = fields.String(metadata=TIMESTAMP)
    updated_at = fields.String(metadata=TIMESTAMP)


class SessionSchema(Schema):
    token = fields.String(metadata={"description": "Send as `Authorization: Bearer <token>`."})
    token_type = fields.String(metadata={"example": "Bearer"})
    expires_at = fields.String(metadata=TIMESTAMP)
    expires_in = fields.Integer(metadata={"description": "Seconds until the token expires (simulator clock)."})
    customer = fields.Nested(CustomerSchema)


class AcceptedSchema(Schema):
    status = fields.String(metadata={"example": "accepted"})
    detail = fields.String()


_COUNTRY_LIST = ", ".join(sorted(COUNTRIES))


class AddressWriteSchema(Schema):
    first_name = fields.String(required=True, validate=NAME)
    last_name = fields.String(required=True, validate=NAME)
    company = fields.String(allow_none=True, validate=validate.Length(max=100))
    line1 = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={"description": "Street and number.", "example": "Unter den Linden 77"})
    line2 = fields.String(allow_none=True, validate=validate.Length(max=200))
    postal_code = fields.String(required=True, validate=validate.Length(min=1, max=20), metadata={"description": "Checked against the country's format.", "example": "10117"})
    city = fields.String(required=True, validate=validate.Length(min=1, max=100), metadata={"example": "Berlin"})
    region = fields.String(allow_none=True, validate=validate.Length(max=100))
    country = fields.String(required=True, validate=validate.Length(min=1, max=10), metadata={"description": f"ISO 3166-1 alpha-2, one of {_COUNTRY_LIST}.", "example": "DE"})
    phone = fields.String(allow_none=True, validate=validate.Length(max=30), metadata={"example": "+49 30 1234567"})
    is_default_shipping = fields.Boolean(allow_none=True, metadata={"description": "true makes it the default (clearing the old one); left out: unchanged."})
    is_default_billing = fields.Boolean(allow_none=True, metadata={"description": "true makes it the default (clearing the old one); left out: unchanged."})


class AddressSchema(Schema):
    id = fields.String(metadata={"example": "adr_8w2k4m9q1x0c"})
    first_name = fields.String()
    last_name = fields.String()
    company = fields.String(allow_none=True)
    line1 = fields.String()
    line2 = fields.String(allow_none=True)
    postal_code = fields.String()
    city = fields.String()
    region = fields.String(allow_none=True)
    country = fields.String()
    phone = fields.String(allow_none=True)
    is_default_shipping = fields.Boolean()
    is_default_billing = fields.Boolean()
    version = fields.Integer(metadata={"description": "Grows with every change; also the ETag."})
    created_at = fields.String(metadata=TIMESTAMP)
    updated_at = fields.String(metadata=TIMESTAMP)

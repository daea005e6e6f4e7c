"""The customer request schemas: where customer fields are checked (the services take what they load)."""

from __future__ import annotations

import pytest
from marshmallow import ValidationError

from simulator.customers.schemas import AddressWriteSchema, ProfilePatchSchema, RegisterSchema
from tests.helpers.accounts import address, registration


def _refused(schema, body) -> dict:
    with pytest.raises(ValidationError) as caught:
        schema.load(body)
    return caught.value.messages


@pytest.mark.parametrize(
    "body, field",
    [
        (registration(email="not-an-email"), "email"),
        (registration(first_name="   "), "first_name"),
        (registration(last_name="x" * 101), "last_name"),
        (registration(phone="call me"), "phone"),
        (registration(first_name="Ada\x00"), "first_name"),
        (registration(password=None), "password"),
        ({**registration(), "admin": True}, "admin"),
    ],
)
def test_registration_fields_are_checked(body, field):
    assert field in _refused(RegisterSchema(), body)


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"phone": "12"}, "phone"),
        ({"phone": "+49 30 CALL ME"}, "phone"),
        ({"city": "  "}, "city"),
        ({"line1": None}, "line1"),
        ({"line1": "Damrak\n1"}, "line1"),
        ({"first_name": "x" * 101}, "first_name"),
        ({"country": "Deutschland"}, "country"),
        ({"is_default_billing": "sometimes"}, "is_default_billing"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_address_fields_are_checked(fields, field):
    assert set(_refused(AddressWriteSchema(), address(**fields))) == {field}


def test_every_missing_address_field_is_listed():
    assert set(_refused(AddressWriteSchema(), {})) == {"first_name", "last_name", "line1", "postal_code", "city", "country"}


def test_text_is_trimmed_and_blank_optional_text_reads_as_none():
    loaded = AddressWriteSchema().load(address(line1="  Damrak 1 ", company="   ", phone=" ", region=None))
    assert loaded["line1"] == "Damrak 1"
    assert loaded["company"] is None and loaded["phone"] is None and loaded["region"] is None
    assert ProfilePatchSchema().load({"first_name": " Augusta "}) == {"first_name": "Augusta"}


@pytest.mark.parametrize("body, field", [({"first_name": ""}, "first_name"), ({"last_name": None}, "last_name"), ({"password_hash": "x"}, "password_hash"), ({"id": "cus_x"}, "id")])
def test_a_profile_patch_changes_only_editable_fields_and_never_blanks_a_name(body, field):
    assert field in _refused(ProfilePatchSchema(), body)


def test_the_openapi_document_lists_every_customer_route(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    expected = {
        "/api/v1/customers": {"post"},
        "/api/v1/auth/login": {"post"},
        "/api/v1/auth/logout": {"post"},
        "/api/v1/auth/password/forgot": {"post"},
        "/api/v1/auth/password/reset": {"post"},
        "/api/v1/customers/me": {"get", "patch"},
        "/api/v1/customers/me/password": {"post"},
        "/api/v1/customers/me/addresses": {"get", "post"},
        "/api/v1/customers/me/addresses/{address_id}": {"get", "put", "delete"},
        "/_sim/outbox": {"get"},
    }
    for path, methods in expected.items():
        assert methods <= set(paths[path]), path
    register = paths["/api/v1/customers"]["post"]
    assert {"$ref": "#/components/parameters/IdempotencyKey"} in register["parameters"]

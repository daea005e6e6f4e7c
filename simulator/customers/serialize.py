"""Wire form of customer records (documented by `schemas.py`; tests/test_schemas_match_answers.py
keeps the two in step).

Nothing here ever emits a password hash or a stored token digest.
"""

from __future__ import annotations

from datetime import datetime

from simulator.clock import rfc3339

from .model import Address, Customer
from .sessions import Session


def customer_to_dict(customer: Customer, default_ids: tuple[str | None, str | None]) -> dict:
    return {
        "id": customer.id,
        "email": customer.email,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "phone": customer.phone,
        "marketing_consent": customer.marketing_consent,
        "default_shipping_address_id": default_ids[0],
        "default_billing_address_id": default_ids[1],
        "version": customer.version,
        "created_at": rfc3339(customer.created_at),
        "updated_at": rfc3339(customer.updated_at),
    }


def session_to_dict(session: Session, now: datetime, default_ids: tuple[str | None, str | None], basket_merge: dict | None = None) -> dict:
    return {
        "token": session.token,
        "token_type": "Bearer",
        "expires_at": rfc3339(session.expires_at),
        "expires_in": max(0, int((session.expires_at - now).total_seconds())),
        "customer": customer_to_dict(session.customer, default_ids),
        "basket_merge": basket_merge,
    }


def basket_merge_to_dict(basket_id: str, merged: bool) -> dict:
    """What became of the guest basket a login or registration named."""
    return {"state": "merged" if merged else "not_found", "basket_id": basket_id}


def address_to_dict(address: Address) -> dict:
    return {
        "id": address.id,
        "first_name": address.first_name,
        "last_name": address.last_name,
        "company": address.company,
        "line1": address.line1,
        "line2": address.line2,
        "postal_code": address.postal_code,
        "city": address.city,
        "region": address.region,
        "country": address.country,
        "phone": address.phone,
        "is_default_shipping": address.is_default_shipping,
        "is_default_billing": address.is_default_billing,
        "version": address.version,
        "created_at": rfc3339(address.created_at),
        "updated_at": rfc3339(address.updated_at),
    }

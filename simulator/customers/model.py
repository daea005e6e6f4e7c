"""Customer records. Immutable: a change is a new record (`dataclasses.replace`).

Secrets never sit in the store in the clear: passwords as Argon2id hashes, bearer
and reset tokens as their `simulator.tokens.token_digest` (also the record id).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

CUSTOMER = "customer"
EMAIL_KEY = "customer_email"
ADDRESS = "address"
AUTH_TOKEN = "auth_token"
RESET_TOKEN = "reset_token"
LOGIN_ATTEMPTS = "login_attempts"
LOGIN_ADDRESS_ATTEMPTS = "login_address_attempts"
REGISTRATION_COUNT = "registration_count"


def normalize_email(email: str) -> str:
    """The form emails are compared in: unique case-insensitively."""
    return email.strip().lower()


@dataclass(frozen=True, slots=True)
class Customer:
    id: str
    email: str  # as the customer typed it (trimmed); compared through normalize_email
    first_name: str
    last_name: str
    phone: str | None
    marketing_consent: bool
    password_hash: str  # Argon2id, encoded with its salt and cost
    created_at: datetime
    updated_at: datetime
    version: int = 1


@dataclass(frozen=True, slots=True)
class EmailKey:
    """The unique index of emails: id is the normalized email."""

    id: str
    customer_id: str


@dataclass(frozen=True, slots=True)
class Address:
    id: str
    owner_id: str  # the customer
    first_name: str
    last_name: str
    company: str | None
    line1: str
    line2: str | None
    postal_code: str
    city: str
    region: str | None
    country: str  # ISO 3166-1 alpha-2
    phone: str | None
    is_default_shipping: bool
    is_default_billing: bool
    created_at: datetime
    updated_at: datetime
    version: int = 1


@dataclass(frozen=True, slots=True)
class AuthToken:
    """A bearer session. id = token_digest(raw token); the raw token is never stored."""

    id: str
    owner_id: str  # the customer
    created_at: datetime
    expires_at: datetime
    version: int = 1


@dataclass(frozen=True, slots=True)
class ResetToken:
    """A one-time password reset token. id = token_digest(raw token)."""

    id: str
    owner_id: str  # the customer
    created_at: datetime
    expires_at: datetime
    version: int = 1


@dataclass(frozen=True, slots=True)
class LoginAttempts:
    """Recent failed logins of one email (id = normalized email, known or not), or of one
    client address (id = `lockout.address_key`)."""

    id: str
    failures: tuple[float, ...]  # simulated timestamps, oldest first; at most the lockout threshold
    version: int = 1


@dataclass(frozen=True, slots=True)
class RegistrationCount:
    """Accounts registered from one client address (id = `lockout.address_key`) in the
    window that started at `window_start` (`signup_limit`)."""

    id: str
    window_start: float  # a simulated timestamp
    count: int
    version: int = 1

"""The settings the customer rules depend on, as plain values (no Flask, no Settings)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CustomerRules:
    token_ttl_seconds: int = 24 * 3600
    reset_token_ttl_seconds: int = 3600
    max_addresses: int = 20
    hash_profile: str = "secure"
    storefront_url: str = "http://127.0.0.1:8000"  # the base of links in mails (/account/…)
    login_failures_per_address: int = 50
    max_login_failure_records: int = 100_000
    registrations_per_address: int = 2000

    @classmethod
    def from_settings(cls, settings) -> CustomerRules:
        return cls(
            token_ttl_seconds=settings.token_ttl_seconds,
            reset_token_ttl_seconds=settings.reset_token_ttl_seconds,
            max_addresses=settings.max_addresses,
            hash_profile=settings.password_hash_profile,
            storefront_url=settings.storefront_base_url,
            login_failures_per_address=settings.login_failures_per_address,
            max_login_failure_records=settings.max_login_failure_records,
            registrations_per_address=settings.registrations_per_address,
        )

"""Money: `decimal.Decimal` amounts with two places, rounded half-up. No floats."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def quantize(amount: Decimal) -> Decimal:
    """Round to the cent, half-up: the one rounding step money code uses."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def money(amount: Decimal, currency: str) -> dict:
    """The wire form: {"amount": "12.34", "currency": "EUR"}."""
    return {"amount": f"{amount:.2f}", "currency": currency}


def money_of_cents(amount_cents: int, currency: str) -> dict:
    """`money` of a whole number of cents, without making a Decimal: the same text, at a
    fraction of the cost (a priced basket answer holds dozens of amounts)."""
    return {"amount": _cents_text(amount_cents), "currency": currency}


@lru_cache(maxsize=65_536)  # the same few amounts recur on every answer of a basket
def _cents_text(amount_cents: int) -> str:
    whole, cents = divmod(abs(amount_cents), 100)
    return f"{'-' if amount_cents < 0 else ''}{whole}.{cents:02d}"

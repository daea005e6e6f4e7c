"""Money: `decimal.Decimal` amounts with two places, rounded half-up. No floats."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def quantize(amount: Decimal) -> Decimal:
    """Round to the cent, half-up: the one rounding step money code uses."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def money(amount: Decimal, currency: str) -> dict:
    """The wire form: {"amount": "12.34", "currency": "EUR"}."""
    return {"amount": f"{amount:.2f}", "currency": currency}

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


_CENTS_TEXT = tuple(f".{cents:02d}" for cents in range(100))  # ".00" … ".99"


def money_of_cents(amount_cents: int, currency: str) -> dict:
    """`money` of a whole number of cents, without making a Decimal: the same text, at a
    fraction of the cost (a priced basket answer holds dozens of amounts). The cents'
    text is looked up: cheaper than formatting it."""
    whole, part = divmod(amount_cents, 100) if amount_cents >= 0 else divmod(-amount_cents, 100)
    sign = "" if amount_cents >= 0 else "-"
    return {"amount": f"{sign}{whole}{_CENTS_TEXT[part]}", "currency": currency}

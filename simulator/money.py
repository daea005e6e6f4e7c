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


def money_of_cents(amount_cents: int, currency: str) -> dict:
    """`money` of a whole number of cents, without making a Decimal: the same text, at a
    fraction of the cost (a priced basket answer holds dozens of amounts)."""
    if amount_cents >= 0:  # %-formatting of divmod's pair: cheaper than an f-string of its parts
        return {"amount": "%d.%02d" % divmod(amount_cents, 100), "currency": currency}
    return {"amount": "-%d.%02d" % divmod(-amount_cents, 100), "currency": currency}

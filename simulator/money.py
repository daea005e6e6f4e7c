"""Money: `decimal.Decimal` amounts with two places, rounded half-up. No floats."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def quantize(amount: Decimal) -> Decimal:
    """Round to the cent, half-up: the one rounding step money code uses."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def parse_amount(text: str | int | Decimal) -> Decimal:
    """A decimal string (or int/Decimal) → Decimal; floats are refused on purpose."""
    if isinstance(text, float) or isinstance(text, bool):
        raise ValueError("amounts are decimal strings, not floats")
    try:
        amount = Decimal(str(text).strip())
    except InvalidOperation:
        raise ValueError(f"not a decimal amount: {text!r}") from None
    if not amount.is_finite():
        raise ValueError(f"not a finite amount: {text!r}")
    return amount


def money(amount: Decimal, currency: str) -> dict:
    """The wire form: {"amount": "12.34", "currency": "EUR"}."""
    return {"amount": f"{amount:.2f}", "currency": currency}

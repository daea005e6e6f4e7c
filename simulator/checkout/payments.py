"""Simulated payment outcomes. Card numbers in the style of well-known test cards decide.

| number              | outcome                                  |
| ------------------- | ---------------------------------------- |
| 4242 4242 4242 4242 | authorized                               |
| 4000 0000 0000 0002 | declined (PAYMENT_DECLINED)              |
| 4000 0000 0000 9995 | declined (INSUFFICIENT_FUNDS)            |
| 4000 0000 0000 0069 | declined (CARD_EXPIRED)                  |
| 4000 0025 0000 3155 | requires confirmation (3-D Secure style) |
| any other valid one | authorized                               |
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .model import PaymentState

#: number → (outcome, decline code)
TEST_CARDS = {
    "4242424242424242": (PaymentState.AUTHORIZED, None),
    "4000000000000002": (PaymentState.DECLINED, "PAYMENT_DECLINED"),
    "4000000000009995": (PaymentState.DECLINED, "INSUFFICIENT_FUNDS"),
    "4000000000000069": (PaymentState.DECLINED, "CARD_EXPIRED"),
    "4000002500003155": (PaymentState.REQUIRES_CONFIRMATION, None),
}
DECLINE_MESSAGES = {
    "PAYMENT_DECLINED": "The card was declined.",
    "INSUFFICIENT_FUNDS": "The card has insufficient funds.",
    "CARD_EXPIRED": "The card has expired.",
}


@dataclass(frozen=True)
class CardOutcome:
    state: PaymentState  # authorized, declined or requires_confirmation
    decline_code: str | None
    brand: str
    last4: str


def luhn_valid(number: str) -> bool:
    digits = [int(d) for d in reversed(number)]
    total = sum(digits[0::2]) + sum(sum(divmod(d * 2, 10)) for d in digits[1::2])
    return total % 10 == 0


def brand(number: str) -> str:
    if number.startswith("4"):
        return "visa"
    if number[:2] in {"51", "52", "53", "54", "55"} or "2221" <= number[:4] <= "2720":
        return "mastercard"
    if number[:2] in {"34", "37"}:
        return "amex"
    return "card"


def card_problems(number: str, expiry_month: int, expiry_year: int, cvc: str, today: date) -> dict[str, str]:
    """What is wrong with the card details as typed (empty when nothing)."""
    problems = {}
    if not (12 <= len(number) <= 19 and number.isascii() and number.isdigit() and luhn_valid(number)):
        problems["card.number"] = "not a valid card number"
    if (expiry_year, expiry_month) < (today.year, today.month):
        problems["card.expiry_year"] = "the card has expired"
    if not (cvc.isascii() and cvc.isdigit() and len(cvc) in (3, 4)):
        problems["card.cvc"] = "3 or 4 digits"
    return problems


def card_outcome(number: str) -> CardOutcome:
    state, code = TEST_CARDS.get(number, (PaymentState.AUTHORIZED, None))
    return CardOutcome(state, code, brand(number), number[-4:])

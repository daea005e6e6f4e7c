"""Wire form of a checkout, and the totals and taxes shape orders share with it."""

from __future__ import annotations

import functools

import orjson

from simulator.basket.serialize import basket_to_dict
from simulator.clock import rfc3339
from simulator.money import money

from .model import STEP_NAMES, CheckoutStatus
from .options import DeliveryQuote, PaymentChoice
from .service import CheckoutView


def totals_to_dict(totals, currency: str) -> dict:
    """The six totals of a checkout's `CheckoutTotals` or of an order, as money."""
    return {
        name: money(getattr(totals, name), currency)
        for name in ("subtotal", "discount", "shipping", "payment_fee", "tax", "total")
    }


def taxes_to_dict(taxes, currency: str) -> list[dict]:
    """Tax per rate, from (rate, gross, tax) triples."""
    return [{"rate": str(rate), "gross": money(gross, currency), "tax": money(tax, currency)} for rate, gross, tax in taxes]


def quote_to_dict(quote: DeliveryQuote, currency: str) -> dict:
    return {
        "id": quote.option.id,
        "name": quote.option.name,
        "carrier": quote.option.carrier,
        "price": money(quote.price, currency),
        "regular_price": money(quote.regular_price, currency),
        "estimated_delivery": {"earliest": quote.earliest.isoformat(), "latest": quote.latest.isoformat()},
    }


@functools.lru_cache(maxsize=1024)
def payment_choices_json(choices: tuple[PaymentChoice, ...], currency: str) -> bytes:
    """The payment types answer: constant data (read once from the seed files), so the
    same choices always answer the same bytes."""
    return orjson.dumps([payment_choice_to_dict(choice, currency) for choice in choices])


def payment_choice_to_dict(choice: PaymentChoice, currency: str) -> dict:
    return {
        "id": choice.type.id,
        "name": choice.type.name,
        "flow": choice.type.flow,
        "payment_call_required": choice.type.flow.payment_call_required,
        "fee": money(choice.type.fee, currency),
        "available": choice.available,
        "reason": choice.reason,
    }


def checkout_to_dict(view: CheckoutView, currency: str, base_url: str) -> dict:
    checkout = view.checkout
    payment = checkout.payment
    next_step = next((name for name in STEP_NAMES if not checkout.step_done(name)), None)
    return {
        "id": checkout.id,
        "status": checkout.status,
        "version": checkout.version,
        "email": checkout.email,
        "steps": {name: {"state": "done" if checkout.step_done(name) else "pending"} for name in STEP_NAMES},
        "next_step": next_step if checkout.status == CheckoutStatus.OPEN else None,
        "shipping_address": checkout.shipping_address,
        "billing_address": checkout.billing_address,
        "billing_same_as_shipping": checkout.billing_same_as_shipping,
        "payment_type": checkout.payment_type,
        "delivery_option": quote_to_dict(view.delivery, currency) if view.delivery else None,
        "payment": {
            "type": payment.type_id,
            "state": payment.state,
            "amount": money(payment.amount, currency),
            "brand": payment.brand,
            "last4": payment.last4,
            "decline_code": payment.decline_code,
        } if payment else None,
        "basket": basket_to_dict(view.basket, currency, base_url),
        "totals": totals_to_dict(view.totals, currency),
        "taxes": taxes_to_dict([(t.rate, t.gross, t.tax) for t in view.totals.taxes], currency),
        "messages": [message.as_dict() for message in view.messages],
        "order_id": checkout.order_id,
        "created_at": rfc3339(checkout.created_at),
        "updated_at": rfc3339(checkout.updated_at),
    }

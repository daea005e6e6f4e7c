"""Checkout records: a state machine over the caller's basket."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

CHECKOUT = "checkout"
REDIRECT_TOKEN = "checkout_redirect_token"
BASKET_CHECKOUTS = "basket_checkouts"


class CheckoutStatus(StrEnum):
    OPEN = "open"  # steps may be taken
    COMPLETED = "completed"  # it became an order
    CLOSED = "closed"  # a newer checkout of its basket replaced it


class PaymentState(StrEnum):
    AUTHORIZED = "authorized"  # card or redirect approved: the order may be placed
    PENDING = "pending"  # bank transfer or cash on delivery: the order may be placed, paid later
    REQUIRES_CONFIRMATION = "requires_confirmation"
    PENDING_REDIRECT = "pending_redirect"
    DECLINED = "declined"
    CANCELLED = "cancelled"


PAYABLE = (PaymentState.AUTHORIZED, PaymentState.PENDING)


class Step(StrEnum):
    """The steps, in the order they must be taken; each names the checkout field it sets."""

    SHIPPING_ADDRESS = "shipping_address"
    BILLING_ADDRESS = "billing_address"
    PAYMENT_TYPE = "payment_type"
    DELIVERY_OPTION = "delivery_option"
    PAYMENT = "payment"
    ORDER = "order"  # placing the order, after all the others; it sets no field


#: The steps before the order, with the code a later step answers (409) while this one is missing.
STEPS = (
    (Step.SHIPPING_ADDRESS, "SHIPPING_ADDRESS_NOT_SET"),
    (Step.BILLING_ADDRESS, "BILLING_ADDRESS_NOT_SET"),
    (Step.PAYMENT_TYPE, "PAYMENT_TYPE_NOT_SET"),
    (Step.DELIVERY_OPTION, "DELIVERY_OPTION_NOT_SET"),
    (Step.PAYMENT, "PAYMENT_NOT_AUTHORIZED"),
)
STEP_NAMES = tuple(step.value for step, _ in STEPS)  # plain strings: the wire's keys


@dataclass(frozen=True, slots=True)
class Payment:
    type_id: str
    state: PaymentState
    amount: Decimal  # the total it was made for: a new total needs a new payment
    brand: str | None = None
    last4: str | None = None
    decline_code: str | None = None
    redirect_token_digest: str | None = None
    return_url: str | None = None


@dataclass(frozen=True, slots=True)
class Checkout:
    id: str
    owner_id: str  # the basket's owner: a customer id or a guest owner
    customer_id: str | None
    email: str
    basket_id: str
    shipping_address: Mapping[str, str | None] | None  # snapshots: later address book edits do not change them
    billing_address: Mapping[str, str | None] | None
    billing_same_as_shipping: bool
    payment_type: str | None
    delivery_option: str | None
    payment: Payment | None
    seen_basket_version: int  # what the totals last shown were computed from
    seen_total: Decimal
    status: CheckoutStatus
    order_id: str | None  # completed: the order it became
    created_at: datetime
    updated_at: datetime
    version: int = 1

    def step_done(self, step: str) -> bool:
        if step == Step.PAYMENT:
            return self.payment is not None and self.payment.state in PAYABLE
        return getattr(self, step) is not None


@dataclass(frozen=True, slots=True)
class RedirectToken:
    """Which checkout a payment page link belongs to. id = token_digest(raw token)."""

    id: str
    owner_id: str  # the checkout
    version: int = 1


@dataclass(frozen=True, slots=True)
class BasketCheckouts:
    """A basket's one open checkout, and the one the open one replaced (closed), if they
    are still kept. id = the basket's id."""

    id: str
    open_id: str | None
    closed_id: str | None = None
    version: int = 1

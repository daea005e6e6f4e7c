"""Order records: what was bought, at which prices, and where the order is now."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from simulator.checkout.options import PaymentFlow
from simulator.order_history import ORDER  # noqa: F401 (the kind's name: below the basket, which asks whether a customer ordered)


class OrderStatus(StrEnum):
    AWAITING_PAYMENT = "awaiting_payment"  # a bank transfer not yet arrived
    PLACED = "placed"
    PAID = "paid"
    PROCESSING = "processing"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


CANCELLABLE = (OrderStatus.AWAITING_PAYMENT, OrderStatus.PLACED, OrderStatus.PAID, OrderStatus.PROCESSING)


class OrderPaymentState(StrEnum):
    AUTHORIZED = "authorized"  # approved at checkout, not yet taken
    PENDING = "pending"  # paid later: bank transfer, cash on delivery
    CAPTURED = "captured"  # the money is in
    REFUNDED = "refunded"  # captured, then paid back on cancelling
    VOIDED = "voided"  # never taken: cancelled before capture


@dataclass(frozen=True, slots=True)
class OrderLine:
    product_id: str
    sku: str
    name: str
    quantity: int
    unit_price: Decimal
    subtotal: Decimal
    discount: Decimal
    total: Decimal
    tax_rate: Decimal
    discounts: tuple[tuple[str, Decimal], ...]  # (promotion id, amount)


@dataclass(frozen=True, slots=True)
class OrderPayment:
    type_id: str
    flow: PaymentFlow
    state: OrderPaymentState
    amount: Decimal
    brand: str | None = None
    last4: str | None = None
    refunded: Decimal | None = None


@dataclass(frozen=True, slots=True)
class OrderDelivery:
    option_id: str
    name: str
    carrier: str
    price: Decimal
    earliest: date
    latest: date


@dataclass(frozen=True, slots=True)
class StatusChange:
    status: OrderStatus
    at: datetime
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Order:
    id: str
    number: str  # human readable, e.g. AS-100042
    owner_id: str  # a customer id, or the guest owner of the basket it came from
    customer_id: str | None
    email: str
    checkout_id: str | None
    lines: tuple[OrderLine, ...]
    promotions: tuple[tuple[str, str, Decimal], ...]  # (id, name, amount)
    coupons: tuple[str, ...]
    subtotal: Decimal
    discount: Decimal
    shipping: Decimal
    payment_fee: Decimal
    tax: Decimal
    total: Decimal
    taxes: tuple[tuple[Decimal, Decimal, Decimal], ...]  # (rate, gross, tax)
    shipping_address: Mapping[str, str | None]
    billing_address: Mapping[str, str | None]
    delivery: OrderDelivery
    payment: OrderPayment
    status: OrderStatus
    history: tuple[StatusChange, ...]
    auto_progress: bool  # False for seeded history, which stays as seeded
    cancel_reason: str | None
    created_at: datetime
    updated_at: datetime
    comment: str | None = None  # the customer's, given when placing it
    version: int = 1

"""Order records: what was bought, at which prices, and where the order is now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Mapping

ORDER = "order"

AWAITING_PAYMENT = "awaiting_payment"
PLACED = "placed"
PAID = "paid"
PROCESSING = "processing"
SHIPPED = "shipped"
DELIVERED = "delivered"
CANCELLED = "cancelled"
STATUSES = (AWAITING_PAYMENT, PLACED, PAID, PROCESSING, SHIPPED, DELIVERED, CANCELLED)
CANCELLABLE = (AWAITING_PAYMENT, PLACED, PAID, PROCESSING)


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
    flow: str  # card | redirect | bank_transfer | on_delivery
    state: str  # authorized | captured | pending | refunded | voided
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
    status: str
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
    status: str
    history: tuple[StatusChange, ...]
    auto_progress: bool  # False for seeded history, which stays as seeded
    cancel_reason: str | None
    created_at: datetime
    updated_at: datetime
    version: int = 1

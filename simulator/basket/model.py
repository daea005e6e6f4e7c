"""Basket records. A basket belongs to a customer, or to a guest through a token."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

BASKET = "basket"
GUEST_OWNER_PREFIX = "guest:"  # owner_id of a guest basket: this + the token's digest


@dataclass(frozen=True, slots=True)
class BasketLine:
    id: str
    product_id: str
    quantity: int
    seen_unit_price: Decimal  # the price the shopper last saw: a change since is reported
    name: str  # kept so a line whose product was deleted can still be shown
    sku: str
    added_at: datetime


@dataclass(frozen=True, slots=True)
class Basket:
    id: str
    owner_id: str  # a customer id, or GUEST_OWNER_PREFIX + token digest
    customer_id: str | None
    lines: tuple[BasketLine, ...]
    coupons: tuple[str, ...]  # codes in the order applied, upper case
    notices: tuple[str, ...]  # one-time messages (e.g. lines capped by a merge)
    created_at: datetime
    updated_at: datetime
    version: int = 1

    @property
    def is_guest(self) -> bool:
        return self.customer_id is None

    def line(self, line_id: str) -> BasketLine | None:
        return next((line for line in self.lines if line.id == line_id), None)

"""Basket records. A basket belongs to a customer, or to a guest through a token."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

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


class MessageCode(StrEnum):
    """What a basket message is about, for programs; its text says the same for people."""

    PRODUCT_UNAVAILABLE = "PRODUCT_UNAVAILABLE"  # the line's product is no longer sold (blocks checkout)
    SOLD_OUT = "SOLD_OUT"  # blocks checkout
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK"  # fewer in stock than the line asks for (blocks checkout)
    BASKET_EMPTY = "BASKET_EMPTY"  # blocks checkout
    LOW_STOCK = "LOW_STOCK"
    PRICE_CHANGED = "PRICE_CHANGED"  # since the line was added or last changed
    COUPON_NOT_APPLICABLE = "COUPON_NOT_APPLICABLE"
    MERGE_NOT_ADDED = "MERGE_NOT_ADDED"  # a guest line left out at login: the product is gone or sold out
    MERGE_QUANTITY_LOWERED = "MERGE_QUANTITY_LOWERED"  # capped at stock or the per-line limit
    MERGE_BASKET_FULL = "MERGE_BASKET_FULL"  # a guest line left out: no room for another line


@dataclass(frozen=True, slots=True)
class BasketMessage:
    """A message about the basket: a stable code and the line (or product) it is about,
    beside the English text to show."""

    code: MessageCode
    text: str
    line_id: str | None = None
    product_id: str | None = None

    def as_dict(self) -> dict:
        return {"code": self.code, "text": self.text, "line_id": self.line_id, "product_id": self.product_id}


@dataclass(frozen=True, slots=True)
class Basket:
    id: str
    owner_id: str  # a customer id, or GUEST_OWNER_PREFIX + token digest
    customer_id: str | None
    lines: tuple[BasketLine, ...]
    coupons: tuple[str, ...]  # codes in the order applied, upper case
    notices: tuple[BasketMessage, ...]  # one-time messages (e.g. lines capped by a merge)
    created_at: datetime
    updated_at: datetime
    version: int = 1

    @property
    def is_guest(self) -> bool:
        return self.customer_id is None

    def line(self, line_id: str) -> BasketLine | None:
        return next((line for line in self.lines if line.id == line_id), None)

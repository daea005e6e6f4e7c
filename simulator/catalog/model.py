"""Catalog records. Immutable: a change is a new record (`dataclasses.replace`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

PRODUCT = "product"
CATEGORY = "category"


@dataclass(frozen=True, slots=True)
class Category:
    id: str
    name: str
    slug: str
    parent_id: str | None
    level: int  # 1 = top level
    position: int  # order among its siblings


@dataclass(frozen=True, slots=True)
class Product:
    id: str
    sku: str  # EAN-13
    name: str
    description: str
    brand: str
    category_ids: tuple[str, ...]
    price: Decimal  # gross, tax included
    compare_at_price: Decimal | None
    tax_rate: Decimal  # fraction: Decimal("0.19") for 19 %
    stock: int
    weight_grams: int
    attributes: dict[str, str]  # never mutated: replaced as a whole
    image_count: int
    created_at: datetime
    updated_at: datetime
    version: int = 1

    @property
    def in_stock(self) -> bool:
        return self.stock > 0


def ean13(number: int) -> str:
    """A valid EAN-13 in the 200-299 (in-store) prefix range, unique per number < 10**11."""
    body = f"2{number % 10**11:011d}"
    digits = body.encode()  # ASCII codes: each digit is its code - 48 (b"0"[0])
    total = sum(digits[0::2]) + 3 * sum(digits[1::2]) - 48 * (6 + 3 * 6)
    return body + str((10 - total % 10) % 10)

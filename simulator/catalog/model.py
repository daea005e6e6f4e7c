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


def _weighted(weights: tuple[int, ...]) -> tuple[int, ...]:
    """For each number of len(weights) digits (leading zeros included): the sum of its
    digits times these weights, modulo 10."""
    size = len(weights)
    return tuple(sum(int(digit) * weight for digit, weight in zip(f"{n:0{size}d}", weights)) % 10 for n in range(10**size))


#: An EAN-13's first 12 digits weigh 1, 3, 1, 3…: the leading 2, then the number's 11
#: digits in runs of 3 (weights 3 1 3), 4 and 4 (1 3 1 3), each run's sum looked up:
#: a million SKUs are made at a start.
_HIGH3, _LOW4 = _weighted((3, 1, 3)), _weighted((1, 3, 1, 3))


def ean13(number: int) -> str:
    """A valid EAN-13 in the 200-299 (in-store) prefix range, unique per number < 10**11."""
    number %= 10**11
    high, low = divmod(number, 10**8)
    middle, low = divmod(low, 10**4)
    return f"2{number:011d}{-(2 + _HIGH3[high] + _LOW4[middle] + _LOW4[low]) % 10}"

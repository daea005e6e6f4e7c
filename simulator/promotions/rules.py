"""Promotion rules: data, not code. A rule is a kind, conditions and an effect.

Kinds, by the level they work at:

- line level (run first): `line_percent`, `line_amount` (off each matching unit),
  `buy_x_get_y` (of every X+Y matching units the Y cheapest are free, or `percent` off),
  `bundle_price` (a fixed price for one of each of `product_ids`);
- basket level (run after the line rules, on what is left): `basket_percent`,
  `basket_amount`, `tiered_spend` (the best tier reached only);
- shipping: `free_shipping` (checkout applies it to the delivery price).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from simulator.catalog.model import CATEGORY, PRODUCT
from simulator.errors import DomainError, not_found, validation_error
from simulator.store import Store
from simulator.versioned import stale

PROMOTION = "promotion"
PROMOTION_USAGE = "promotion_usage"


class PromotionKind(StrEnum):
    LINE_PERCENT = "line_percent"
    LINE_AMOUNT = "line_amount"
    BUY_X_GET_Y = "buy_x_get_y"
    BUNDLE_PRICE = "bundle_price"
    BASKET_PERCENT = "basket_percent"
    BASKET_AMOUNT = "basket_amount"
    TIERED_SPEND = "tiered_spend"
    FREE_SHIPPING = "free_shipping"


LINE_KINDS = (PromotionKind.LINE_PERCENT, PromotionKind.LINE_AMOUNT, PromotionKind.BUY_X_GET_Y, PromotionKind.BUNDLE_PRICE)
BASKET_KINDS = (PromotionKind.BASKET_PERCENT, PromotionKind.BASKET_AMOUNT, PromotionKind.TIERED_SPEND)
KINDS = tuple(kind.value for kind in PromotionKind)


@dataclass(frozen=True, slots=True)
class Promotion:
    id: str
    name: str
    kind: PromotionKind
    priority: int = 0  # higher runs first
    position: int = 0  # its place in the rule set: equal priorities run in this order
    exclusive: bool = False  # when it applies, rules of lower priority do not
    coupon_code: str | None = None  # upper case; None: automatic
    description: str = ""
    # conditions
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    min_subtotal: Decimal | None = None  # what the basket has left when the rule's turn comes
    min_quantity: int | None = None  # of matching units
    category_ids: tuple[str, ...] = ()  # matching lines: any of these (or below them) …
    brands: tuple[str, ...] = ()  # … and of these brands …
    product_ids: tuple[str, ...] = ()  # … and these products (for bundles: the set)
    customer_only: bool = False
    first_order_only: bool = False
    usage_limit: int | None = None  # orders, all customers together (0: none)
    per_customer_limit: int | None = None  # orders of one signed-in customer (0: none)
    # effect
    percent: Decimal | None = None
    amount: Decimal | None = None
    buy_quantity: int | None = None
    get_quantity: int | None = None
    tiers: tuple[tuple[Decimal, Decimal], ...] = ()  # (spend at least, amount off)
    bundle_price: Decimal | None = None
    version: int = 1

    @property
    def level(self) -> int:
        """0 for line rules, 1 for basket rules, 2 for shipping rules: the order they run in."""
        return 0 if self.kind in LINE_KINDS else 1 if self.kind in BASKET_KINDS else 2

    @property
    def targeted(self) -> bool:
        return bool(self.category_ids or self.brands or self.product_ids)


@dataclass(frozen=True, slots=True)
class PromotionUsage:
    """How often a promotion was used by placed orders (its id is the promotion's)."""

    id: str
    total: int = 0
    by_customer: tuple[tuple[str, int], ...] = ()
    version: int = 1

    def for_customer(self, customer_id: str | None) -> int:
        return dict(self.by_customer).get(customer_id, 0) if customer_id else 0


# -- rules as data: checking and keeping them ----------------------------------------------
REQUIRED = {
    PromotionKind.BASKET_PERCENT: ("percent",),
    PromotionKind.LINE_PERCENT: ("percent",),
    PromotionKind.BASKET_AMOUNT: ("amount",),
    PromotionKind.LINE_AMOUNT: ("amount",),
    PromotionKind.BUY_X_GET_Y: ("buy_quantity", "get_quantity"),
    PromotionKind.TIERED_SPEND: ("tiers",),
    PromotionKind.BUNDLE_PRICE: ("product_ids", "bundle_price"),
    PromotionKind.FREE_SHIPPING: (),
}


def check_promotion(promotion: Promotion) -> Promotion:
    """Kind-specific requirements the field types alone cannot express; 422 otherwise."""
    errors = {name: f"required for kind {promotion.kind}" for name in REQUIRED[promotion.kind] if not getattr(promotion, name)}
    if promotion.percent is not None and not 0 < promotion.percent <= 100:
        errors["percent"] = "must be above 0 and at most 100"
    if promotion.starts_at and promotion.ends_at and promotion.ends_at <= promotion.starts_at:
        errors["ends_at"] = "must be after starts_at"
    thresholds = [threshold for threshold, _ in promotion.tiers]
    if thresholds != sorted(set(thresholds)):
        errors["tiers"] = "thresholds must rise"
    if promotion.kind == PromotionKind.BUNDLE_PRICE and len(set(promotion.product_ids)) < 2:
        errors["product_ids"] = "a bundle needs at least two different products"
    if errors:
        raise validation_error(errors)
    return promotion


def find_by_coupon(store, code: str) -> Promotion | None:
    return next((p for p in store.values(PROMOTION) if p.coupon_code == code), None)


def rule_set(store) -> list[Promotion]:
    """Every rule, in the order of the rule set."""
    return sorted(store.values(PROMOTION), key=lambda p: p.position)


def _next_position(store: Store) -> int:
    """After every rule there is: a new rule comes last among its equals."""
    return max((p.position for p in store.values(PROMOTION)), default=-1) + 1


def _changed(store: Store, promotion_id: str, deleted: bool = False) -> None:
    """Every rule write is logged, so that what readers keep of the rule set (`book.py`)
    is made again. Wall time: nothing asks when a rule changed, only whether."""
    store.log_change(PROMOTION, promotion_id, deleted, at=time.time())


def _from_fields(promotion_id: str, fields: Mapping[str, Any], version: int, position: int) -> Promotion:
    values = dict(fields)
    values["kind"] = PromotionKind(values["kind"])
    for name in ("category_ids", "brands", "product_ids"):
        values[name] = tuple(values.get(name) or ())
    values["tiers"] = tuple((tier["threshold"], tier["amount"]) for tier in values.get("tiers") or ())
    if values.get("coupon_code"):
        values["coupon_code"] = values["coupon_code"].upper()
    return check_promotion(Promotion(id=promotion_id, version=version, position=position, **values))


def _check_references(store: Store, promotion: Promotion) -> None:
    _check_ids(store, promotion)
    clash = promotion.coupon_code and find_by_coupon(store, promotion.coupon_code)
    if clash and clash.id != promotion.id:
        raise DomainError(409, "COUPON_CODE_TAKEN", f"Promotion {clash.id} already uses coupon code {promotion.coupon_code}.")


def _check_ids(store: Store, promotion: Promotion) -> None:
    errors = {}
    unknown = [c for c in promotion.category_ids if store.get(CATEGORY, c) is None]
    if unknown:
        errors["category_ids"] = f"unknown categories: {', '.join(unknown)}"
    unknown = [p for p in promotion.product_ids if store.get(PRODUCT, p) is None]
    if unknown:
        errors["product_ids"] = f"unknown products: {', '.join(unknown)}"
    if errors:
        raise validation_error(errors)


def get_promotion(store: Store, promotion_id: str) -> Promotion:
    promotion = store.get(PROMOTION, promotion_id)
    if promotion is None:
        raise not_found("PROMOTION_NOT_FOUND", f"There is no promotion {promotion_id}.")
    return promotion


def create_promotion(store: Store, fields: Mapping[str, Any]) -> Promotion:
    with store.atomic():
        promotion = _from_fields(store.new_id("prm"), fields, version=1, position=_next_position(store))
        _check_references(store, promotion)
        store.put(PROMOTION, promotion)
        _changed(store, promotion.id)
    return promotion


def replace_promotion(store: Store, promotion_id: str, fields: Mapping[str, Any], expected_version: int | None = None) -> Promotion:
    with store.atomic():
        current = get_promotion(store, promotion_id)
        if expected_version is not None and expected_version != current.version:
            raise stale(f"Promotion {promotion_id}", current.version)
        promotion = _from_fields(promotion_id, fields, version=current.version + 1, position=current.position)
        _check_references(store, promotion)
        store.put(PROMOTION, promotion)
        _changed(store, promotion.id)
    return promotion


def delete_promotion(store: Store, promotion_id: str) -> None:
    with store.atomic():
        get_promotion(store, promotion_id)
        store.delete(PROMOTION, promotion_id)
        _changed(store, promotion_id, deleted=True)


def replace_all(store: Store, rules: list[Mapping[str, Any]], *, logged: bool = True) -> list[Promotion]:
    """Swap the whole rule set (all checked before any is written); its order is the rules'
    order. A store being seeded passes `logged=False`: its change logs stay empty until it
    serves (`InMemoryStore.contents` copies such a store), and nothing has read its rules yet."""
    with store.atomic():
        promotions = [_from_fields(store.new_id("prm"), fields, version=1, position=index) for index, fields in enumerate(rules)]
        codes = [p.coupon_code for p in promotions if p.coupon_code]
        if len(codes) != len(set(codes)):
            raise DomainError(409, "COUPON_CODE_TAKEN", "Two promotions use the same coupon code.")
        for promotion in promotions:
            _check_ids(store, promotion)
        for promotion in store.values(PROMOTION):
            store.delete(PROMOTION, promotion.id)
            if logged:
                _changed(store, promotion.id, deleted=True)
        for promotion in promotions:
            store.put(PROMOTION, promotion)
            if logged:
                _changed(store, promotion.id)
    return promotions

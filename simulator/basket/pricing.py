"""Pricing a basket: lines, promotions, coupons, tax and totals. Pure functions.

Order of application (documented in the README):

1. Rules whose conditions hold are taken by priority, highest first (ties by id).
   An exclusive rule that gives a discount stops every rule of lower priority.
2. Line rules run before basket rules; within a level, by priority.
   Each rule works on what earlier rules left, and is capped by it, so a discount
   never exceeds what it applies to and no total goes negative.
3. A basket discount is allocated to lines in proportion to their totals, in whole
   cents; the remainder cent(s) go to the largest line (then the next, if that one
   is used up), so line discounts always add up to the basket discount exactly.
4. Prices are gross. Tax contained in the total is reported per rate:
   gross × rate / (1 + rate), rounded half-up once per rate.

Money is `Decimal` throughout, rounded half-up to the cent once per line effect.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Callable, Iterable, Mapping

from simulator.catalog.model import Product
from simulator.money import ZERO, quantize

from simulator.promotions.rules import Promotion, PromotionKind, PromotionUsage

HUNDRED = Decimal(100)
ONE = Decimal(1)


@dataclass(frozen=True)
class LineInput:
    line_id: str
    product: Product
    quantity: int


@dataclass(frozen=True)
class PricingContext:
    now: datetime
    coupons: tuple[str, ...] = ()  # codes on the basket, upper case, in the order applied
    customer_id: str | None = None
    first_order: bool = True
    usage: Mapping[str, PromotionUsage] = field(default_factory=dict)
    #: every category a product is in, ancestors included (for category conditions)
    categories_of: Callable[[Product], frozenset[str]] = lambda product: frozenset(product.category_ids)


def cents(amount: Decimal) -> int:
    """A two-place amount as whole cents."""
    return int(amount * 100)


def decimal(amount_cents: int) -> Decimal:
    return Decimal(amount_cents) / 100


def percent_of(amount_cents: int, percent: Decimal) -> int:
    """`percent` % of an amount, rounded half-up to the cent."""
    return int((amount_cents * percent / HUNDRED).quantize(ONE, rounding=ROUND_HALF_UP))


@dataclass
class PricedLine:
    """A line as the engine prices it. The engine works in integer cents (exact and
    fast); the Decimal properties are the line's money as the outside world sees it."""

    line_id: str
    product: Product
    quantity: int
    unit_cents: int
    subtotal_cents: int
    discount_cents: int = 0
    discounts_cents: dict[str, int] = field(default_factory=dict)  # promotion id → cents

    @classmethod
    def of(cls, line_id: str, product: Product, quantity: int) -> "PricedLine":
        unit = cents(product.price)
        return cls(line_id, product, quantity, unit, unit * quantity)

    @property
    def left(self) -> int:
        return self.subtotal_cents - self.discount_cents

    def take(self, promotion_id: str, wanted: int) -> int:
        """Discount up to `wanted` cents off what is left of this line; returns what was taken."""
        taken = min(wanted, self.left)
        if taken > 0:
            self.discount_cents += taken
            self.discounts_cents[promotion_id] = self.discounts_cents.get(promotion_id, 0) + taken
            return taken
        return 0

    @property
    def unit_price(self) -> Decimal:
        return decimal(self.unit_cents)

    @property
    def subtotal(self) -> Decimal:
        return decimal(self.subtotal_cents)

    @property
    def discount(self) -> Decimal:
        return decimal(self.discount_cents)

    @property
    def total(self) -> Decimal:
        return decimal(self.left)

    @property
    def discounts(self) -> dict[str, Decimal]:
        return {promotion_id: decimal(amount) for promotion_id, amount in self.discounts_cents.items()}


@dataclass(frozen=True)
class AppliedPromotion:
    promotion: Promotion
    amount: Decimal
    line_ids: tuple[str, ...]


class CouponState(StrEnum):
    APPLIED = "applied"
    NOT_APPLICABLE = "not_applicable"  # its conditions do not hold (the reason says which)
    EXPIRED = "expired"
    UNKNOWN = "unknown"  # no promotion has this code


@dataclass(frozen=True)
class PricedCoupon:
    """A coupon on the basket and what became of it."""

    code: str
    state: CouponState
    reason: str | None = None
    promotion_id: str | None = None


@dataclass(frozen=True)
class TaxLine:
    rate: Decimal
    gross: Decimal
    tax: Decimal


@dataclass(frozen=True)
class PricedBasket:
    lines: list[PricedLine]
    promotions: list[AppliedPromotion]
    coupons: list[PricedCoupon]
    subtotal: Decimal
    discount: Decimal
    taxes: list[TaxLine]
    free_shipping: bool

    @property
    def total(self) -> Decimal:
        return self.subtotal - self.discount

    @property
    def tax(self) -> Decimal:
        return sum((t.tax for t in self.taxes), ZERO)


# -- conditions ---------------------------------------------------------------------
def _matches(rule: Promotion, line: PricedLine, ctx: PricingContext) -> bool:
    if rule.product_ids and line.product.id not in rule.product_ids:
        return False
    if rule.brands and line.product.brand not in rule.brands:
        return False
    if rule.category_ids and ctx.categories_of(line.product).isdisjoint(rule.category_ids):
        return False
    return True


def _check_rule(rule: Promotion, lines: list[PricedLine], subtotal: int, ctx: PricingContext) -> tuple[str | None, list[PricedLine]]:
    """(why the rule does not apply or None, the lines it matches)."""
    if rule.starts_at and ctx.now < rule.starts_at:
        return "not valid yet", []
    if rule.customer_only and not ctx.customer_id:
        return "only for signed-in customers", []
    if rule.first_order_only and not (ctx.customer_id and ctx.first_order):
        return "only on a customer's first order", []
    usage = ctx.usage.get(rule.id)
    if usage and rule.usage_limit is not None and usage.total >= rule.usage_limit:
        return "no longer available", []
    if usage and rule.per_customer_limit is not None and usage.for_customer(ctx.customer_id) >= rule.per_customer_limit:
        return "already used as often as allowed", []
    if rule.min_subtotal is not None and subtotal < cents(rule.min_subtotal):
        return f"spend at least {rule.min_subtotal:.2f}", []
    matching = [line for line in lines if _matches(rule, line, ctx)] if rule.targeted else lines
    if not matching:
        return "nothing in the basket qualifies", []
    if rule.min_quantity is not None and sum(line.quantity for line in matching) < rule.min_quantity:
        return f"add at least {rule.min_quantity} qualifying items", []
    return None, matching


# -- effects ------------------------------------------------------------------------
def _apply_line_rule(rule: Promotion, matching: list[PricedLine]) -> int:
    """Apply a line rule to the lines it matches; returns the discount it gave, in cents."""
    given = 0
    if rule.kind == PromotionKind.LINE_PERCENT:
        for line in matching:
            given += line.take(rule.id, percent_of(line.left, rule.percent))
    elif rule.kind == PromotionKind.LINE_AMOUNT:
        off = cents(rule.amount)
        for line in matching:
            given += line.take(rule.id, min(off, line.unit_cents) * line.quantity)
    elif rule.kind == PromotionKind.BUY_X_GET_Y:
        # Of every X+Y units the Y cheapest: walk the lines cheapest first, counting units.
        free_units = sum(line.quantity for line in matching) // (rule.buy_quantity + rule.get_quantity) * rule.get_quantity
        percent = rule.percent if rule.percent is not None else HUNDRED
        for line in sorted(matching, key=lambda line: (line.unit_cents, line.line_id)):
            if free_units <= 0:
                break
            count = min(free_units, line.quantity)
            free_units -= count
            given += line.take(rule.id, percent_of(line.unit_cents * count, percent))
    elif rule.kind == PromotionKind.BUNDLE_PRICE:
        by_product = {line.product.id: line for line in matching}
        if set(rule.product_ids) <= set(by_product):
            bundle_lines = [by_product[p] for p in rule.product_ids]
            bundles = min(line.quantity for line in bundle_lines)
            saving = (sum(line.unit_cents for line in bundle_lines) - cents(rule.bundle_price)) * bundles
            if saving > 0:
                given = _allocate(rule.id, saving, bundle_lines, [line.unit_cents for line in bundle_lines])
    return given


def _basket_rule_amount(rule: Promotion, remaining: int) -> int:
    if rule.kind == PromotionKind.BASKET_PERCENT:
        return percent_of(remaining, rule.percent)
    if rule.kind == PromotionKind.BASKET_AMOUNT:
        return cents(rule.amount)
    # tiered_spend: the best tier reached by what is left after line rules
    return max((cents(amount) for threshold, amount in rule.tiers if remaining >= cents(threshold)), default=0)


def _allocate(promotion_id: str, amount: int, lines: list[PricedLine], weights: list[int] | None = None) -> int:
    """Spread `amount` cents over lines in proportion to `weights` (default: what is left
    of each line), never past a line's total. Shares are rounded down to the cent; the
    remainder goes to the largest line, then (if a line is used up) to the next largest,
    so the shares add up exactly. Returns the cents given."""
    if weights is None:
        weights = [line.left for line in lines]
    amount = min(amount, sum(line.left for line in lines))
    total_weight = sum(weights)
    if amount <= 0 or total_weight <= 0:
        return 0
    given = 0
    for line, weight in zip(lines, weights):
        share = amount * weight // total_weight
        if share:
            given += line.take(promotion_id, share)
    if given < amount:
        for line in sorted(lines, key=lambda line: (-line.left, line.line_id)):
            given += line.take(promotion_id, amount - given)
            if given >= amount:
                break
    return given


# -- the whole basket -----------------------------------------------------------------
def price_basket(inputs: list[LineInput], rules: Iterable[Promotion], ctx: PricingContext) -> PricedBasket:
    rules = tuple(rules)  # read twice below: an iterator would silently apply nothing
    lines = [PricedLine.of(i.line_id, i.product, i.quantity) for i in inputs]
    subtotal = sum(line.subtotal_cents for line in lines)
    by_code = {rule.coupon_code: rule for rule in rules if rule.coupon_code}
    coupon_states: dict[str, PricedCoupon] = {}

    candidates: list[Promotion] = []
    matching: dict[str, list[PricedLine]] = {}  # rule id → the lines it matches
    for rule in sorted(rules, key=lambda r: (-r.priority, r.id)):
        if rule.coupon_code and rule.coupon_code not in ctx.coupons:
            continue
        if rule.ends_at and ctx.now >= rule.ends_at:
            if rule.coupon_code:
                coupon_states[rule.coupon_code] = PricedCoupon(rule.coupon_code, CouponState.EXPIRED, "this coupon has expired", rule.id)
            continue
        reason, matching[rule.id] = _check_rule(rule, lines, subtotal, ctx)
        if reason:
            if rule.coupon_code:
                coupon_states[rule.coupon_code] = PricedCoupon(rule.coupon_code, CouponState.NOT_APPLICABLE, reason, rule.id)
            continue
        candidates.append(rule)

    selected = _select(candidates, lines, matching, coupon_states)

    applied: list[AppliedPromotion] = []
    free_shipping = False
    remaining = subtotal
    for rule in sorted(selected, key=lambda r: (r.level, -r.priority, r.id)):
        if rule.level == 0:
            amount = _apply_line_rule(rule, matching[rule.id])
        elif rule.level == 1:
            amount = _allocate(rule.id, _basket_rule_amount(rule, remaining), [line for line in lines if line.left > 0])
        else:
            amount, free_shipping = 0, True
        remaining -= amount
        if amount > 0 or rule.level == 2:
            touched = tuple(line.line_id for line in lines if rule.id in line.discounts_cents)
            applied.append(AppliedPromotion(rule, decimal(amount), touched))
            if rule.coupon_code:
                coupon_states[rule.coupon_code] = PricedCoupon(rule.coupon_code, CouponState.APPLIED, None, rule.id)
        elif rule.coupon_code:
            coupon_states[rule.coupon_code] = PricedCoupon(
                rule.coupon_code, CouponState.NOT_APPLICABLE, "other promotions already cover this basket", rule.id
            )

    coupons = [
        coupon_states.get(code) or PricedCoupon(code, CouponState.UNKNOWN, "no such coupon", by_code[code].id if code in by_code else None)
        for code in ctx.coupons
    ]
    discount = sum(line.discount_cents for line in lines)
    return PricedBasket(lines, applied, coupons, decimal(subtotal), decimal(discount), _taxes(lines), free_shipping)


def _select(candidates, lines, matching, coupon_states) -> list[Promotion]:
    """Apply exclusivity: an exclusive rule that would give something stops lower priorities."""
    selected: list[Promotion] = []
    stop_below: Promotion | None = None
    for rule in candidates:
        if stop_below is not None and rule.priority < stop_below.priority:
            if rule.coupon_code:
                coupon_states[rule.coupon_code] = PricedCoupon(
                    rule.coupon_code, CouponState.NOT_APPLICABLE, f"cannot be combined with “{stop_below.name}”", rule.id
                )
            continue
        selected.append(rule)
        if rule.exclusive and stop_below is None and _gives_something(rule, lines, matching[rule.id]):
            stop_below = rule
    return selected


def _gives_something(rule: Promotion, lines: list[PricedLine], matching: list[PricedLine]) -> bool:
    """Would the rule, alone on this basket, give a discount (or free shipping)?"""
    if rule.level == 2:
        return True
    if rule.level == 0:
        trial = [PricedLine.of(l.line_id, l.product, l.quantity) for l in matching]
        return _apply_line_rule(rule, trial) > 0
    return _basket_rule_amount(rule, sum(line.subtotal_cents for line in lines)) > 0


def _taxes(lines: list[PricedLine]) -> list[TaxLine]:
    gross_by_rate: dict[Decimal, int] = {}
    for line in lines:
        gross_by_rate[line.product.tax_rate] = gross_by_rate.get(line.product.tax_rate, 0) + line.left
    return [tax_line(rate, decimal(gross)) for rate, gross in sorted(gross_by_rate.items())]


def tax_line(rate: Decimal, gross: Decimal) -> TaxLine:
    """The tax contained in a gross amount at a rate, rounded half-up once."""
    return TaxLine(rate, gross, quantize(gross * rate / (1 + rate)))

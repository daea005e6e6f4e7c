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
from decimal import Decimal
from typing import Callable, Iterable, Mapping

from simulator.catalog.model import Product
from simulator.money import ZERO, quantize

from .promotions import Promotion, PromotionUsage

HUNDRED = Decimal(100)
CENT = Decimal("0.01")


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


@dataclass
class PricedLine:
    line_id: str
    product: Product
    quantity: int
    unit_price: Decimal
    subtotal: Decimal
    discount: Decimal = ZERO
    discounts: dict[str, Decimal] = field(default_factory=dict)  # promotion id → amount

    @property
    def total(self) -> Decimal:
        return self.subtotal - self.discount

    def take(self, promotion_id: str, amount: Decimal) -> Decimal:
        """Discount up to `amount` off what is left of this line; returns what was taken."""
        taken = min(amount, self.total)
        if taken > 0:
            self.discount += taken
            self.discounts[promotion_id] = self.discounts.get(promotion_id, ZERO) + taken
        return taken


@dataclass(frozen=True)
class AppliedPromotion:
    promotion: Promotion
    amount: Decimal
    line_ids: tuple[str, ...]


@dataclass(frozen=True)
class CouponState:
    code: str
    state: str  # applied | not_applicable | expired | unknown
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
    coupons: list[CouponState]
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


def ineligible_reason(rule: Promotion, lines: list[PricedLine], subtotal: Decimal, ctx: PricingContext) -> str | None:
    """Why the rule does not apply to this basket, or None when it does."""
    if rule.starts_at and ctx.now < rule.starts_at:
        return "not valid yet"
    if rule.customer_only and not ctx.customer_id:
        return "only for signed-in customers"
    if rule.first_order_only and not (ctx.customer_id and ctx.first_order):
        return "only on a customer's first order"
    usage = ctx.usage.get(rule.id)
    if usage and rule.usage_limit is not None and usage.total >= rule.usage_limit:
        return "no longer available"
    if usage and rule.per_customer_limit is not None and usage.for_customer(ctx.customer_id) >= rule.per_customer_limit:
        return "already used as often as allowed"
    if rule.min_subtotal is not None and subtotal < rule.min_subtotal:
        return f"spend at least {rule.min_subtotal:.2f}"
    matching = [line for line in lines if _matches(rule, line, ctx)]
    if not matching:
        return "nothing in the basket qualifies"
    if rule.min_quantity is not None and sum(line.quantity for line in matching) < rule.min_quantity:
        return f"add at least {rule.min_quantity} qualifying items"
    return None


# -- effects ------------------------------------------------------------------------
def _units_cheapest_first(lines: Iterable[PricedLine]) -> list[PricedLine]:
    """One entry per unit, cheapest first (ties by line id, so results are stable)."""
    units = [line for line in lines for _ in range(line.quantity)]
    return sorted(units, key=lambda line: (line.unit_price, line.line_id))


def _apply_line_rule(rule: Promotion, lines: list[PricedLine], ctx: PricingContext) -> None:
    matching = [line for line in lines if _matches(rule, line, ctx)]
    if rule.kind == "line_percent":
        for line in matching:
            line.take(rule.id, quantize(line.total * rule.percent / HUNDRED))
    elif rule.kind == "line_amount":
        for line in matching:
            line.take(rule.id, min(rule.amount, line.unit_price) * line.quantity)
    elif rule.kind == "buy_x_get_y":
        group = rule.buy_quantity + rule.get_quantity
        units = _units_cheapest_first(matching)
        discounted = len(units) // group * rule.get_quantity
        share = (rule.percent if rule.percent is not None else HUNDRED) / HUNDRED
        per_line: dict[str, tuple[PricedLine, int]] = {}
        for line in units[:discounted]:
            per_line[line.line_id] = (line, per_line.get(line.line_id, (line, 0))[1] + 1)
        for line, count in per_line.values():
            line.take(rule.id, quantize(line.unit_price * count * share))
    elif rule.kind == "bundle_price":
        by_product = {line.product.id: line for line in matching}
        if set(rule.product_ids) <= set(by_product):
            bundle_lines = [by_product[p] for p in rule.product_ids]
            bundles = min(line.quantity for line in bundle_lines)
            regular = sum(line.unit_price for line in bundle_lines)
            saving = (regular - rule.bundle_price) * bundles
            if saving > 0:
                _allocate(rule.id, saving, bundle_lines, weight=lambda line: line.unit_price)


def _basket_rule_amount(rule: Promotion, remaining: Decimal) -> Decimal:
    if rule.kind == "basket_percent":
        return quantize(remaining * rule.percent / HUNDRED)
    if rule.kind == "basket_amount":
        return rule.amount
    # tiered_spend: the best tier reached by what is left after line rules
    reached = [amount for threshold, amount in rule.tiers if remaining >= threshold]
    return max(reached, default=ZERO)


def _allocate(promotion_id: str, amount: Decimal, lines: list[PricedLine], weight=lambda line: line.total) -> Decimal:
    """Spread `amount` over lines in proportion to `weight`, in cents, never past a line's total.

    Shares are rounded down to the cent; the remainder goes to the largest line, then
    (if a line is used up) to the next largest, so the shares add up exactly.
    """
    capacity = sum((line.total for line in lines), ZERO)
    amount = min(amount, capacity)
    weights = [weight(line) for line in lines]
    total_weight = sum(weights, ZERO)
    if amount <= 0 or total_weight <= 0:
        return ZERO
    given = ZERO
    for line, line_weight in zip(lines, weights):
        share = (amount * line_weight / total_weight).quantize(CENT, rounding="ROUND_DOWN")
        given += line.take(promotion_id, share)
    for line in sorted(lines, key=lambda line: (-line.total, line.line_id)):
        if given >= amount:
            break
        given += line.take(promotion_id, amount - given)
    return given


# -- the whole basket -----------------------------------------------------------------
def price_basket(inputs: list[LineInput], rules: Iterable[Promotion], ctx: PricingContext) -> PricedBasket:
    lines = [
        PricedLine(i.line_id, i.product, i.quantity, i.product.price, i.product.price * i.quantity) for i in inputs
    ]
    subtotal = sum((line.subtotal for line in lines), ZERO)
    by_code = {rule.coupon_code: rule for rule in rules if rule.coupon_code}
    coupon_states: dict[str, CouponState] = {}

    candidates: list[Promotion] = []
    for rule in sorted(rules, key=lambda r: (-r.priority, r.id)):
        if rule.coupon_code and rule.coupon_code not in ctx.coupons:
            continue
        if rule.ends_at and ctx.now >= rule.ends_at:
            if rule.coupon_code:
                coupon_states[rule.coupon_code] = CouponState(rule.coupon_code, "expired", "this coupon has expired", rule.id)
            continue
        reason = ineligible_reason(rule, lines, subtotal, ctx)
        if reason:
            if rule.coupon_code:
                coupon_states[rule.coupon_code] = CouponState(rule.coupon_code, "not_applicable", reason, rule.id)
            continue
        candidates.append(rule)

    selected = _select(candidates, lines, subtotal, ctx, coupon_states)

    applied: list[AppliedPromotion] = []
    free_shipping = False
    for rule in sorted(selected, key=lambda r: (r.level, -r.priority, r.id)):
        before = {line.line_id: line.discount for line in lines}
        if rule.level == 0:
            _apply_line_rule(rule, lines, ctx)
        elif rule.level == 1:
            remaining = sum((line.total for line in lines), ZERO)
            _allocate(rule.id, _basket_rule_amount(rule, remaining), [line for line in lines if line.total > 0])
        else:
            free_shipping = True
        amount = sum((line.discount - before[line.line_id] for line in lines), ZERO)
        touched = tuple(line.line_id for line in lines if line.discount != before[line.line_id])
        if amount > 0 or rule.level == 2:
            applied.append(AppliedPromotion(rule, amount, touched))
            if rule.coupon_code:
                coupon_states[rule.coupon_code] = CouponState(rule.coupon_code, "applied", None, rule.id)
        elif rule.coupon_code:
            coupon_states[rule.coupon_code] = CouponState(
                rule.coupon_code, "not_applicable", "other promotions already cover this basket", rule.id
            )

    coupons = [
        coupon_states.get(code) or CouponState(code, "unknown", "no such coupon", by_code[code].id if code in by_code else None)
        for code in ctx.coupons
    ]
    discount = sum((line.discount for line in lines), ZERO)
    return PricedBasket(lines, applied, coupons, subtotal, discount, _taxes(lines), free_shipping)


def _select(candidates, lines, subtotal, ctx, coupon_states) -> list[Promotion]:
    """Apply exclusivity: an exclusive rule that would give something stops lower priorities."""
    selected: list[Promotion] = []
    stop_below: Promotion | None = None
    for rule in candidates:
        if stop_below is not None and rule.priority < stop_below.priority:
            if rule.coupon_code:
                coupon_states[rule.coupon_code] = CouponState(
                    rule.coupon_code, "not_applicable", f"cannot be combined with “{stop_below.name}”", rule.id
                )
            continue
        selected.append(rule)
        if rule.exclusive and stop_below is None and _gives_something(rule, lines, ctx):
            stop_below = rule
    return selected


def _gives_something(rule: Promotion, lines: list[PricedLine], ctx: PricingContext) -> bool:
    """Would the rule, alone on this basket, give a discount (or free shipping)?"""
    if rule.level == 2:
        return True
    trial = [PricedLine(l.line_id, l.product, l.quantity, l.unit_price, l.subtotal) for l in lines]
    if rule.level == 0:
        _apply_line_rule(rule, trial, ctx)
        return any(line.discount > 0 for line in trial)
    return _basket_rule_amount(rule, sum((line.total for line in trial), ZERO)) > 0


def _taxes(lines: list[PricedLine]) -> list[TaxLine]:
    gross_by_rate: dict[Decimal, Decimal] = {}
    for line in lines:
        gross_by_rate[line.product.tax_rate] = gross_by_rate.get(line.product.tax_rate, ZERO) + line.total
    return [
        TaxLine(rate, gross, quantize(gross * rate / (1 + rate)))
        for rate, gross in sorted(gross_by_rate.items())
    ]

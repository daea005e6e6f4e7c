"""Pricing a basket: lines, promotions, coupons, tax and totals. A pure function.

Order of application (docs/basket-and-promotions.md states the same rules):

1. Taking part. A rule takes part when its fixed conditions hold: its validity window
   (simulator clock), its coupon on the basket, `customer_only`, `first_order_only`,
   `usage_limit` and `per_customer_limit` (a limit of N allows N orders, 0 allows none;
   a guest's orders count towards `usage_limit` only), matching lines (categories with
   their sub-categories, brands, products), `min_quantity` of matching units, and for
   buy X get Y at least X+Y matching units, for a bundle one of each of its products.
2. Running order. Line rules, then basket rules, then shipping rules; within a level
   by `priority`, highest first; equal priorities in the order of the rule set
   (`Promotion.position`, then the order `rules` are given in). Ids decide nothing.
3. Each rule works on what the rules before it left. What a line has left is its
   subtotal less its discounts so far; what the basket has left is the sum of that.
   A discount never exceeds what is left, so nothing goes negative.
   - Spend thresholds, one rule for all: `min_subtotal` (any kind), the tiers of
     `tiered_spend` and the threshold of `free_shipping` are compared with what the
     basket has left when the rule's turn comes, after every earlier discount.
   - `line_percent`: the percentage of what each matching line has left.
   - `line_amount`: the amount off each matching unit, at most what the line has left.
   - `buy_x_get_y`: of all matching units in the basket together (not per line, not in
     the order they were added), floor(units / (X+Y)) × Y are free (or `percent` off):
     the cheapest ones. A unit is worth what its line has left ÷ its quantity (earlier
     discounts spread evenly over the line's units), and `n` units of a line get
     n × that × percent off, rounded half-up once for the line.
   - `bundle_price`: complete sets = the fewest units among the bundle's products; each
     line's set units are worth their share of what the line has left (rounded half-up
     per line); the saving is their sum less sets × the bundle price, or nothing when
     that is not positive. It is split over the bundle's lines by that worth.
   - `basket_percent`: the percentage of what the basket has left; `basket_amount`: the
     amount, at most what is left; `tiered_spend`: the best tier that what is left
     reaches. Split over all lines by what each has left.
   - `free_shipping`: granted when its turn comes (last) and its threshold is reached.
4. Exclusive rules. At its turn an exclusive rule is tried on what the rules of its
   own priority or higher left (a lower-priority line rule that ran before an
   exclusive basket rule does not count). If it gives something (a discount, or free
   shipping), every rule of lower priority is dropped, whatever its level: rules that
   already ran are undone and the others recomputed without them. If it gives nothing,
   it is skipped and stops nothing.
5. Splitting an amount over lines: each line gets its exact share rounded down to the
   cent; the cents left over (fewer than the lines) go one each to the lines whose
   shares lost most in rounding down. Shares add up exactly, none is a cent or more
   off its exact value.
6. Ties between lines (equal cents lost in rounding; equally cheap units for buy X get
   Y) go to the higher tax rate, then the lower product id, then the line earlier in
   the basket. So totals, tax included, never depend on line ids, rule ids or the
   order the lines were added in.
7. Prices are gross. The tax contained in the total is reported per rate, after
   discounts: gross × rate / (1 + rate), rounded half-up once per rate.

Money is integer cents inside, `Decimal` outside; every rounding is half-up to the cent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from math import lcm
from operator import attrgetter
from typing import NamedTuple

from simulator.catalog.model import Product
from simulator.money import ZERO, quantize
from simulator.promotions.rules import Promotion, PromotionKind, PromotionUsage

HUNDRED = Decimal(100)
LINE, BASKET, SHIPPING = 0, 1, 2  # Promotion.level


class LineInput(NamedTuple):  # a tuple: one per line of every pricing, immutable and the cheapest to make
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


def percent_of(amount_cents: int, percent: Decimal, divisor: int = 1) -> int:
    """`percent` % of amount ÷ divisor, rounded half-up to the cent (away from zero, as
    Decimal's ROUND_HALF_UP): exact integer arithmetic, a fraction of Decimal's cost."""
    return _scaled(amount_cents, percent.as_integer_ratio(), divisor)


def _scaled(amount_cents: int, ratio: tuple[int, int], divisor: int = 1) -> int:
    """`percent_of` with the percentage as its (numerator, denominator): worked out once per rule."""
    numerator, denominator = ratio
    denominator *= 100 * divisor
    rounded = (2 * abs(amount_cents) * numerator + denominator) // (2 * denominator)
    return rounded if amount_cents >= 0 else -rounded


def _in_decimal(cents_attribute: str) -> property:
    """A read-only Decimal view of an integer-cents attribute: how the priced records below
    show their money to the world outside the engine."""
    read = attrgetter(cents_attribute)
    return property(lambda self: decimal(read(self)), doc=f"`{cents_attribute}` as a Decimal amount.")


@dataclass(slots=True)  # slots: the engine reads and writes these fields in its inner loops
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

    @property
    def left(self) -> int:
        return self.subtotal_cents - self.discount_cents

    unit_price = _in_decimal("unit_cents")
    subtotal = _in_decimal("subtotal_cents")
    discount = _in_decimal("discount_cents")
    total = _in_decimal("left")

    @property
    def discounts(self) -> dict[str, Decimal]:
        return {promotion_id: decimal(amount) for promotion_id, amount in self.discounts_cents.items()}


class AppliedPromotion(NamedTuple):  # tuples, as the coupons and taxes below: made by every pricing
    promotion: Promotion
    amount_cents: int
    line_ids: tuple[str, ...]

    amount = _in_decimal("amount_cents")


class CouponState(StrEnum):
    APPLIED = "applied"
    NOT_APPLICABLE = "not_applicable"  # its conditions do not hold (the reason says which)
    EXPIRED = "expired"
    UNKNOWN = "unknown"  # no promotion has this code


class PricedCoupon(NamedTuple):
    """A coupon on the basket and what became of it."""

    code: str
    state: CouponState
    reason: str | None = None
    promotion_id: str | None = None


class TaxLine(NamedTuple):
    rate: Decimal
    gross: Decimal
    tax: Decimal


class PricedTax(NamedTuple):
    """A TaxLine of a priced basket: its money in cents as the engine works it out (an
    answer shows them without making a Decimal), `gross` and `tax` as a TaxLine has them."""

    rate: Decimal
    gross_cents: int
    tax_cents: int

    gross = _in_decimal("gross_cents")

    @property
    def tax(self) -> Decimal:
        return Decimal(self.tax_cents).scaleb(-2)


@dataclass(frozen=True)
class PricedBasket:
    """The basket priced: its money in integer cents as the engine works it out (an answer
    shows them without making a Decimal), the Decimal properties for everyone else."""

    lines: list[PricedLine]
    promotions: list[AppliedPromotion]
    coupons: list[PricedCoupon]
    subtotal_cents: int
    discount_cents: int
    taxes: list[PricedTax]
    free_shipping: bool

    @property
    def total_cents(self) -> int:
        return self.subtotal_cents - self.discount_cents

    subtotal = _in_decimal("subtotal_cents")
    discount = _in_decimal("discount_cents")

    @property
    def total(self) -> Decimal:
        return self.subtotal - self.discount

    @property
    def tax_cents(self) -> int:
        return sum(t.tax_cents for t in self.taxes)

    @property
    def tax(self) -> Decimal:
        return sum((t.tax for t in self.taxes), ZERO)


# -- the rule set, as pricing reads it ---------------------------------------------------------
_WHOLE = HUNDRED.as_integer_ratio()  # 100 %: a unit's whole worth
#: Products whose matching rules a rule set keeps (see `_RuleSet.targets`), oldest out first.
_MAX_PRODUCTS = 20_000


class _Rule:
    """A rule and what pricing reads of it, worked out once per rule set: its level, spend
    threshold and effect in integer cents, and its conditions as sets."""

    __slots__ = (
        "rule", "id", "kind", "level", "priority", "exclusive", "threshold", "targeted", "products", "brands", "categories",
        "needed", "bundle", "ratio", "off", "tiers", "every", "free", "bundle_cents",
    )

    def __init__(self, rule: Promotion) -> None:
        self.rule, self.id, self.kind = rule, rule.id, PromotionKind(rule.kind)
        self.level, self.priority, self.exclusive = rule.level, rule.priority, rule.exclusive
        self.threshold = _threshold(rule)
        self.targeted = rule.targeted
        self.products, self.brands, self.categories = frozenset(rule.product_ids), frozenset(rule.brands), frozenset(rule.category_ids)
        buy_x_get_y = self.kind == PromotionKind.BUY_X_GET_Y
        self.needed = max(rule.min_quantity or 0, rule.buy_quantity + rule.get_quantity if buy_x_get_y else 0)
        self.bundle = self.products if self.kind == PromotionKind.BUNDLE_PRICE else None
        self.ratio = (rule.percent if rule.percent is not None else HUNDRED).as_integer_ratio()
        self.off = cents(rule.amount) if rule.amount is not None else 0
        self.tiers = tuple((cents(threshold), cents(amount)) for threshold, amount in rule.tiers)
        self.every, self.free = (rule.buy_quantity + rule.get_quantity, rule.get_quantity) if buy_x_get_y else (0, 0)
        self.bundle_cents = cents(rule.bundle_price) if rule.bundle_price is not None else 0

    def matches(self, product: Product, categories: frozenset[str]) -> bool:
        """Of any of its products, and of any of its brands, and in any of its categories."""
        return (
            (not self.products or product.id in self.products)
            and (not self.brands or product.brand in self.brands)
            and (not self.categories or not categories.isdisjoint(self.categories))
        )


def _threshold(rule: Promotion) -> int:
    threshold = cents(rule.min_subtotal) if rule.min_subtotal is not None else 0
    if rule.kind == PromotionKind.TIERED_SPEND:
        threshold = max(threshold, cents(rule.tiers[0][0]))
    return threshold


class _ProductFacts(NamedTuple):
    """What pricing reads of a product, kept per product by the rule set (see `_RuleSet.facts`)."""

    product: Product
    targets: tuple[int, ...]  # the positions of the targeted rules it matches
    unit_cents: int
    tie_key: tuple[Decimal, str]  # higher tax rate first, then lower product id (point 6)


class _RuleSet:
    """Rules as pricing reads them: in the order they take their turns (by level, then
    running order), by coupon code, and which of the targeted ones each product matches.
    The same for every basket priced with one rule set."""

    def __init__(self, rules: Iterable[Promotion]) -> None:
        running = sorted(rules, key=lambda r: (-r.priority, r.position))  # stable: then the order given
        self.rules = sorted((_Rule(rule) for rule in running), key=lambda rule: rule.level)  # stable: running order within a level
        self.by_code = {rule.coupon_code: rule for rule in running if rule.coupon_code}
        # targeted rules by each product, brand and category they name: a product can only match
        # rules that name its id, its brand or one of its categories (then all their conditions hold)
        self._naming: tuple[dict[str, list[int]], ...] = ({}, {}, {})  # by product id, brand, category
        for position, rule in enumerate(self.rules):
            for naming, named in zip(self._naming, (rule.products, rule.brands, rule.categories)):
                for value in named:
                    naming.setdefault(value, []).append(position)
        #: (the categories_of they were worked out with, product id → its facts)
        self._facts: tuple[object, dict[str, _ProductFacts]] = (None, {})

    def facts(self, product: Product, categories_of: Callable[[Product], frozenset[str]]) -> _ProductFacts:
        """The product's facts. Kept per product for one `categories_of` (a category tree): a
        changed product is a new record, so identity tells kept facts from stale ones."""
        made_with, kept = self._facts
        if made_with is not categories_of:
            kept = {}
            self._facts = (categories_of, kept)
        found = kept.get(product.id)
        if found is not None and found.product is product:
            return found
        by_product, by_brand, by_category = self._naming
        categories = categories_of(product) if by_category else frozenset()
        named = {*by_product.get(product.id, ()), *by_brand.get(product.brand, ())}
        for category in categories:
            named.update(by_category.get(category, ()))
        targets = tuple(position for position in sorted(named) if self.rules[position].matches(product, categories))
        found = _ProductFacts(product, targets, cents(product.price), (-product.tax_rate, product.id))
        if len(kept) >= _MAX_PRODUCTS and product.id not in kept:
            kept.pop(next(iter(kept), None), None)  # the oldest entry
        kept[product.id] = found
        return found


_last_rule_set: tuple[tuple[Promotion, ...], _RuleSet] | None = None


def _rule_set(rules: Iterable[Promotion]) -> _RuleSet:
    """The rule book hands every request the same tuple of (immutable) rules: its _RuleSet is
    kept for the last one seen, and made anew for any other."""
    global _last_rule_set
    last = _last_rule_set
    if last is not None and last[0] is rules:
        return last[1]
    rule_set = _RuleSet(rules)
    if isinstance(rules, tuple):  # held here, so its id is never reused while kept
        _last_rule_set = (rules, rule_set)
    return rule_set


# -- taking part: the conditions that do not depend on other rules -------------------------
class _Lines:
    """The basket's lines in tie order, and their money before any discount."""

    __slots__ = ("inputs", "quantities", "units", "subtotals", "subtotal", "all")

    def __init__(self, ranked: list[LineInput], facts: list[_ProductFacts]) -> None:
        self.inputs = ranked
        self.quantities = [line.quantity for line in ranked]
        self.units = [fact.unit_cents for fact in facts]
        self.subtotals = [unit * quantity for unit, quantity in zip(self.units, self.quantities)]
        self.subtotal = sum(self.subtotals)
        self.all = tuple(range(len(ranked)))


class _Candidate(NamedTuple):  # a tuple: made for every rule of every pricing
    rule: _Rule
    matching: tuple[int, ...]  # the lines it matches, as indices in tie order


def _why_not(rule: _Rule, lines: _Lines, matching: tuple[int, ...], ctx: PricingContext) -> str | None:
    """Why the rule cannot take part in pricing this basket, or None."""
    promotion = rule.rule
    if promotion.starts_at and ctx.now < promotion.starts_at:
        return "not valid yet"
    if promotion.customer_only and not ctx.customer_id:
        return "only for signed-in customers"
    if promotion.first_order_only and not (ctx.customer_id and ctx.first_order):
        return "only on a customer's first order"
    if promotion.usage_limit is not None or promotion.per_customer_limit is not None:  # only then is its usage read
        usage = ctx.usage.get(rule.id)  # none yet: no use yet, which a limit of 0 still refuses
        if promotion.usage_limit is not None and (usage.total if usage else 0) >= promotion.usage_limit:
            return "no longer available"
        if promotion.per_customer_limit is not None and (
                usage.for_customer(ctx.customer_id) if usage else 0) >= promotion.per_customer_limit:
            return "already used as often as allowed"
    if not matching:
        return "nothing in the basket qualifies"
    if rule.needed > 1 and sum(lines.quantities[i] for i in matching) < rule.needed:
        return f"add at least {rule.needed} qualifying items"
    if rule.bundle is not None and len({lines.inputs[i].product.id for i in matching}) < len(rule.bundle):
        return "add one of each product of the bundle"
    return None


# -- running the rules --------------------------------------------------------------------------
def _spend_reason(threshold: int, subtotal: int) -> str:
    after = " after other discounts" if subtotal >= threshold else ""
    return f"spend at least {decimal(threshold):.2f}{after}"


def _basket_amount(rule: _Rule, left: int) -> int:
    if rule.kind == PromotionKind.BASKET_PERCENT:
        return _scaled(left, rule.ratio)
    if rule.kind == PromotionKind.BASKET_AMOUNT:
        return rule.off
    return max((amount for threshold, amount in rule.tiers if left >= threshold), default=0)  # tiered_spend


class _Run:
    """The rules taking their turns, one after another, on what each line has left (in cents,
    by tie order): plain integers, so that a replay starts from a copy of one list."""

    __slots__ = ("lines", "left", "discounts", "basket_left", "given", "shipping", "reasons")

    def __init__(self, lines: _Lines) -> None:
        self.lines = lines
        self.left = list(lines.subtotals)  # per line: its subtotal less its discounts so far
        self.discounts: list[dict[str, int]] = [{} for _ in lines.all]  # per line: promotion id → cents
        self.basket_left = lines.subtotal
        self.given: dict[str, int] = {}  # rule id → cents given at its turn
        self.shipping: set[str] = set()  # free-shipping rules granted
        self.reasons: dict[str, str] = {}  # rule id → why it gave nothing

    def replay(self, candidates: list[_Candidate]) -> _Run:
        run = _Run(self.lines)
        for candidate in candidates:
            run.turn(candidate)
        return run

    def gave(self, rule: _Rule) -> bool:
        return self.given.get(rule.id, 0) > 0 or rule.id in self.shipping

    def take(self, rule_id: str, index: int, wanted: int) -> int:
        """Discount up to `wanted` cents off what is left of a line; returns what was taken."""
        left = self.left[index]
        taken = wanted if wanted < left else left
        if taken > 0:
            self.left[index] = left - taken
            discounts = self.discounts[index]
            discounts[rule_id] = discounts.get(rule_id, 0) + taken
            return taken
        return 0

    def turn(self, candidate: _Candidate) -> bool:
        """The rule's turn on what the earlier ones left; True when it gave something."""
        rule = candidate.rule
        if self.basket_left < rule.threshold:
            self.reasons[rule.id] = _spend_reason(rule.threshold, self.lines.subtotal)
            return False
        if rule.level == SHIPPING:
            self.shipping.add(rule.id)
            return True
        if rule.level == LINE:
            amount = self._line_effect(rule, candidate.matching)
        else:
            amount = self._split(rule.id, _basket_amount(rule, self.basket_left), self.lines.all, list(self.left))
        self.basket_left -= amount
        self.given[rule.id] = amount
        if amount <= 0:
            self.reasons[rule.id] = "other promotions already cover this basket"
        return amount > 0

    def _line_effect(self, rule: _Rule, matching: tuple[int, ...]) -> int:
        """Apply a line rule to the lines it matches (in tie order); returns the cents it gave."""
        left, quantities, take, given = self.left, self.lines.quantities, self.take, 0
        if rule.kind == PromotionKind.LINE_PERCENT:
            for i in matching:
                given += take(rule.id, i, _scaled(left[i], rule.ratio))
        elif rule.kind == PromotionKind.LINE_AMOUNT:
            for i in matching:
                given += take(rule.id, i, rule.off * quantities[i])
        elif rule.kind == PromotionKind.BUY_X_GET_Y:
            free_units = sum(quantities[i] for i in matching) // rule.every * rule.free
            # cheapest units first, by what is left per unit: left ÷ quantity, compared exactly as
            # left × (common multiple ÷ quantity); the stable sort keeps tie order
            common = lcm(*(quantities[i] for i in matching))
            for i in sorted(matching, key=lambda i: left[i] * (common // quantities[i])):
                count = min(free_units, quantities[i])
                given += take(rule.id, i, _scaled(left[i] * count, rule.ratio, quantities[i]))
                free_units -= count
                if free_units <= 0:
                    break
        elif rule.kind == PromotionKind.BUNDLE_PRICE:
            seen, bundle = set(), []
            for i in matching:  # one line per product: the first in tie order
                product_id = self.lines.inputs[i].product.id
                if product_id in rule.bundle and product_id not in seen:
                    seen.add(product_id)
                    bundle.append(i)
            sets = min(quantities[i] for i in bundle)
            worth = [_scaled(left[i] * sets, _WHOLE, quantities[i]) for i in bundle]
            given = self._split(rule.id, sum(worth) - rule.bundle_cents * sets, bundle, worth)
        return given

    def _split(self, rule_id: str, amount: int, indices: Sequence[int], weights: list[int]) -> int:
        """Split `amount` cents over lines (in tie order) in proportion to `weights`, at most
        their sum: shares rounded down, then the cents left over one each to the lines that
        lost most in rounding (ties: tie order). Returns the cents given."""
        total = sum(weights)
        amount = min(amount, total)
        if amount <= 0:
            return 0
        shares = [amount * weight // total for weight in weights]
        left_over = amount - sum(shares)
        if left_over:  # the cents lost in rounding down: to the lines that lost most
            lost = [amount * weight % total for weight in weights]
            for k in sorted(range(len(shares)), key=lost.__getitem__, reverse=True)[:left_over]:
                shares[k] += 1  # sorted(reverse=True) is stable: equal losses stay in tie order
        left, discounts, given = self.left, self.discounts, 0
        for i, share in zip(indices, shares):  # `take` inlined: the engine's innermost loop
            if share > 0 and left[i] > 0:
                taken = share if share < left[i] else left[i]
                left[i] -= taken
                discounts[i][rule_id] = discounts[i].get(rule_id, 0) + taken
                given += taken
        return given


@dataclass
class _Outcome:
    run: _Run
    ran: list[_Candidate]  # the rules that had their turn, in running order
    dropped: list[tuple[_Candidate, Promotion]] = field(default_factory=list)  # (rule, the exclusive rule that stopped it)
    skipped: list[tuple[_Candidate, str]] = field(default_factory=list)  # (exclusive rule that gave nothing, why)


def _run_all(candidates: list[_Candidate], lines: _Lines) -> _Outcome:
    """Every candidate in running order, with exclusivity (point 4 of the module docstring)."""
    outcome = _Outcome(_Run(lines), [])
    stopper: _Rule | None = None
    for candidate in candidates:  # by level, then priority: the rule set's order
        rule = candidate.rule
        if stopper is not None and rule.priority < stopper.priority:
            outcome.dropped.append((candidate, stopper.rule))
            continue
        if not rule.exclusive:
            outcome.run.turn(candidate)
            outcome.ran.append(candidate)
            continue
        kept = [c for c in outcome.ran if c.rule.priority >= rule.priority]
        below = [c for c in outcome.ran if c.rule.priority < rule.priority]
        trial = outcome.run.replay(kept) if any(outcome.run.gave(c.rule) for c in below) else outcome.run
        if trial.turn(candidate):
            stopper = rule
            outcome.run, outcome.ran = trial, [*kept, candidate]
            outcome.dropped.extend((c, rule.rule) for c in below)
        else:
            outcome.skipped.append((candidate, trial.reasons[rule.id]))
    return outcome


# -- the whole basket -----------------------------------------------------------------
def price_basket(inputs: list[LineInput], rules: Iterable[Promotion], ctx: PricingContext) -> PricedBasket:
    rule_set, categories_of = _rule_set(rules), ctx.categories_of
    facts = [rule_set.facts(line.product, categories_of) for line in inputs]
    tie_order = sorted(range(len(inputs)), key=lambda i: facts[i].tie_key)  # stable: then position
    lines = _Lines([inputs[i] for i in tie_order], [facts[i] for i in tie_order])
    matched: dict[int, list[int]] = {}  # targeted rule's position → the lines it matches
    for i in range(len(tie_order)):
        for position in facts[tie_order[i]].targets:
            matched.setdefault(position, []).append(i)
    coupon_states: dict[str, PricedCoupon] = {}

    def coupon(rule: Promotion, state: CouponState, reason: str | None) -> None:
        if rule.coupon_code:
            coupon_states[rule.coupon_code] = PricedCoupon(rule.coupon_code, state, reason, rule.id)

    candidates = []
    for position, rule in enumerate(rule_set.rules):
        promotion = rule.rule
        if promotion.coupon_code and promotion.coupon_code not in ctx.coupons:
            continue
        if promotion.ends_at and ctx.now >= promotion.ends_at:
            coupon(promotion, CouponState.EXPIRED, "this coupon has expired")
            continue
        matching = tuple(matched.get(position, ())) if rule.targeted else lines.all
        reason = _why_not(rule, lines, matching, ctx)
        if reason:
            coupon(promotion, CouponState.NOT_APPLICABLE, reason)
            continue
        candidates.append(_Candidate(rule, matching))

    outcome = _run_all(candidates, lines)
    run = outcome.run
    left, discounts = run.left, run.discounts
    priced_lines: list[PricedLine] = [None] * len(inputs)  # type: ignore[list-item]  # filled below, in the basket's order
    for k, (position, line) in enumerate(zip(tie_order, lines.inputs)):
        subtotal = lines.subtotals[k]
        priced_lines[position] = PricedLine(
            line.line_id, line.product, line.quantity, lines.units[k], subtotal, subtotal - left[k], discounts[k])
    touched: dict[str, list[str]] = {}
    for line in priced_lines:
        for promotion_id in line.discounts_cents:
            touched.setdefault(promotion_id, []).append(line.line_id)

    applied = []
    for candidate in outcome.ran:
        rule = candidate.rule
        if run.gave(rule):
            applied.append(AppliedPromotion(rule.rule, run.given.get(rule.id, 0), tuple(touched.get(rule.id, ()))))
            coupon(rule.rule, CouponState.APPLIED, None)
        else:
            coupon(rule.rule, CouponState.NOT_APPLICABLE, run.reasons[rule.id])
    for candidate, reason in outcome.skipped:
        coupon(candidate.rule.rule, CouponState.NOT_APPLICABLE, reason)
    for candidate, stopper in outcome.dropped:
        coupon(candidate.rule.rule, CouponState.NOT_APPLICABLE, f"cannot be combined with “{stopper.name}”")

    by_code = rule_set.by_code
    coupons = [
        coupon_states.get(code) or PricedCoupon(code, CouponState.UNKNOWN, "no such coupon", by_code[code].id if code in by_code else None)
        for code in ctx.coupons
    ]
    discount = lines.subtotal - sum(left)
    return PricedBasket(priced_lines, applied, coupons, lines.subtotal, discount, _taxes(priced_lines), bool(run.shipping))


def _taxes(lines: list[PricedLine]) -> list[PricedTax]:
    gross_by_rate: dict[Decimal, int] = {}
    for line in lines:
        gross_by_rate[line.product.tax_rate] = gross_by_rate.get(line.product.tax_rate, 0) + line.left
    return [PricedTax(rate, gross, _tax_cents(gross, rate)) for rate, gross in sorted(gross_by_rate.items())]


def _tax_cents(gross_cents: int, rate: Decimal) -> int:
    """`tax_line`'s tax in whole cents, in exact integers: gross × p ÷ (q + p) for a rate of
    p/q, rounded half-up (a gross is never negative)."""
    numerator, denominator = rate.as_integer_ratio()
    divisor = denominator + numerator
    return (2 * gross_cents * numerator + divisor) // (2 * divisor)


def tax_line(rate: Decimal, gross: Decimal) -> TaxLine:
    """The tax contained in a gross amount at a rate, rounded half-up once."""
    return TaxLine(rate, gross, quantize(gross * rate / (1 + rate)))

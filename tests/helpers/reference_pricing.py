"""The pricing engine as it was before it was made faster (simulator/basket/pricing.py at
3a77ee9): a reference that `tests/basket/test_pricing_equivalence.py` prices the same
random baskets with. Frozen on purpose: change the rules of pricing in the engine and in
docs/basket-and-promotions.md, never here, and drop this file if the rules change."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import NamedTuple

from simulator.catalog.model import Product
from simulator.money import ZERO, quantize
from simulator.promotions.rules import Promotion, PromotionKind, PromotionUsage

HUNDRED = Decimal(100)
LINE, BASKET, SHIPPING = 0, 1, 2  # Promotion.level


@dataclass(frozen=True, slots=True)  # slots: one per line of every pricing
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


def percent_of(amount_cents: int, percent: Decimal, divisor: int = 1) -> int:
    """`percent` % of amount ÷ divisor, rounded half-up to the cent (away from zero, as
    Decimal's ROUND_HALF_UP): exact integer arithmetic, a fraction of Decimal's cost."""
    numerator, denominator = percent.as_integer_ratio()
    denominator *= 100 * divisor
    rounded = (2 * abs(amount_cents) * numerator + denominator) // (2 * denominator)
    return rounded if amount_cents >= 0 else -rounded


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

    @classmethod
    def of(cls, line_id: str, product: Product, quantity: int) -> PricedLine:
        unit = cents(product.price)
        return cls(line_id, product, quantity, unit, unit * quantity)

    def fresh(self) -> PricedLine:
        """The same line before any discount."""
        return PricedLine(self.line_id, self.product, self.quantity, self.unit_cents, self.subtotal_cents)

    @property
    def left(self) -> int:
        return self.subtotal_cents - self.discount_cents

    def units_worth(self, count: int, percent: Decimal = HUNDRED) -> int:
        """`percent` % of what `count` of its units have left (each an equal share of the line)."""
        return percent_of(self.left * count, percent, self.quantity)

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


# -- taking part: the conditions that do not depend on other rules -------------------------
class _Candidate(NamedTuple):  # a tuple: made for every rule of every pricing
    rule: Promotion
    matching: tuple[int, ...]  # the lines it matches, as indices in tie order
    level: int  # rule.level
    threshold: int  # cents the basket must have left at its turn


class _RuleSet:
    """Rules as pricing reads them: in running order, by coupon code, and each rule's level
    and spend threshold in cents. The same for every basket priced with one rule set."""

    def __init__(self, rules: Iterable[Promotion]) -> None:
        self.running = sorted(rules, key=lambda r: (-r.priority, r.position))  # stable: then the order given
        self.by_code = {rule.coupon_code: rule for rule in self.running if rule.coupon_code}
        self.facts = {rule.id: (rule.level, _threshold(rule)) for rule in self.running}


def _threshold(rule: Promotion) -> int:
    threshold = cents(rule.min_subtotal) if rule.min_subtotal is not None else 0
    if rule.kind == PromotionKind.TIERED_SPEND:
        threshold = max(threshold, cents(rule.tiers[0][0]))
    return threshold


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


class _LineIndex:
    """The basket's lines in tie order, matched against a rule's products, brands and categories.

    Matching scans the few lines of a basket per targeted rule: cheaper than building
    lookup tables of every line's product, brand and categories, which most rules never use."""

    def __init__(self, lines: list[PricedLine], categories_of: Callable[[Product], frozenset[str]]):
        self.lines = lines
        self.all = tuple(range(len(lines)))
        self._categories_of = categories_of
        self._categories: list[frozenset[str]] | None = None  # per line, made when a category rule first asks
        self._any_category: frozenset[str] = frozenset()  # of any line: most category rules match none

    def matching(self, rule: Promotion) -> tuple[int, ...]:
        """Lines of any of its products, and of any of its brands, and in any of its categories."""
        if not rule.targeted:
            return self.all
        products, brands, categories = rule.product_ids, rule.brands, rule.category_ids
        if categories and self._categories is None:
            self._categories = [self._categories_of(line.product) for line in self.lines]
            self._any_category = frozenset().union(*self._categories)
        if categories and self._any_category.isdisjoint(categories):
            return ()
        return tuple(
            i for i, line in enumerate(self.lines)
            if (not products or line.product.id in products)
            and (not brands or line.product.brand in brands)
            and (not categories or not self._categories[i].isdisjoint(categories))
        )


def _why_not(rule: Promotion, lines: list[PricedLine], matching: tuple[int, ...], ctx: PricingContext) -> str | None:
    """Why the rule cannot take part in pricing this basket, or None."""
    if rule.starts_at and ctx.now < rule.starts_at:
        return "not valid yet"
    if rule.customer_only and not ctx.customer_id:
        return "only for signed-in customers"
    if rule.first_order_only and not (ctx.customer_id and ctx.first_order):
        return "only on a customer's first order"
    if rule.usage_limit is not None or rule.per_customer_limit is not None:  # only then is its usage read
        usage = ctx.usage.get(rule.id)  # none yet: no use yet, which a limit of 0 still refuses
        if rule.usage_limit is not None and (usage.total if usage else 0) >= rule.usage_limit:
            return "no longer available"
        if rule.per_customer_limit is not None and (usage.for_customer(ctx.customer_id) if usage else 0) >= rule.per_customer_limit:
            return "already used as often as allowed"
    if not matching:
        return "nothing in the basket qualifies"
    needed = max(rule.min_quantity or 0, rule.buy_quantity + rule.get_quantity if rule.kind == PromotionKind.BUY_X_GET_Y else 0)
    if needed > 1 and sum(lines[i].quantity for i in matching) < needed:
        return f"add at least {needed} qualifying items"
    if rule.kind == PromotionKind.BUNDLE_PRICE and len({lines[i].product.id for i in matching}) < len(set(rule.product_ids)):
        return "add one of each product of the bundle"
    return None


# -- effects ---------------------------------------------------------------------------------
def _line_effect(rule: Promotion, matching: list[PricedLine]) -> int:
    """Apply a line rule to the lines it matches (in tie order); returns the cents it gave."""
    given = 0
    if rule.kind == PromotionKind.LINE_PERCENT:
        for line in matching:
            given += line.take(rule.id, percent_of(line.left, rule.percent))
    elif rule.kind == PromotionKind.LINE_AMOUNT:
        off = cents(rule.amount)
        for line in matching:
            given += line.take(rule.id, off * line.quantity)
    elif rule.kind == PromotionKind.BUY_X_GET_Y:
        free_units = sum(line.quantity for line in matching) // (rule.buy_quantity + rule.get_quantity) * rule.get_quantity
        percent = rule.percent if rule.percent is not None else HUNDRED
        # cheapest units first, by what is left per unit (exact); the stable sort keeps tie order
        for line in sorted(matching, key=lambda line: Fraction(line.left, line.quantity)):
            count = min(free_units, line.quantity)
            given += line.take(rule.id, line.units_worth(count, percent))
            free_units -= count
            if free_units <= 0:
                break
    elif rule.kind == PromotionKind.BUNDLE_PRICE:
        wanted, seen, bundle = set(rule.product_ids), set(), []
        for line in matching:  # one line per product: the first in tie order
            if line.product.id in wanted and line.product.id not in seen:
                seen.add(line.product.id)
                bundle.append(line)
        sets = min(line.quantity for line in bundle)
        worth = [line.units_worth(sets) for line in bundle]
        given = _split(rule.id, sum(worth) - cents(rule.bundle_price) * sets, bundle, worth)
    return given


def _basket_amount(rule: Promotion, left: int) -> int:
    if rule.kind == PromotionKind.BASKET_PERCENT:
        return percent_of(left, rule.percent)
    if rule.kind == PromotionKind.BASKET_AMOUNT:
        return cents(rule.amount)
    return max((cents(amount) for threshold, amount in rule.tiers if left >= cents(threshold)), default=0)  # tiered_spend


def _split(promotion_id: str, amount: int, lines: list[PricedLine], weights: list[int]) -> int:
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
        for index in sorted(range(len(lines)), key=lost.__getitem__, reverse=True)[:left_over]:
            shares[index] += 1  # sorted(reverse=True) is stable: equal losses stay in tie order
    return sum(line.take(promotion_id, share) for line, share in zip(lines, shares) if share)


# -- running the rules --------------------------------------------------------------------------
def _spend_reason(threshold: int, subtotal: int) -> str:
    after = " after other discounts" if subtotal >= threshold else ""
    return f"spend at least {decimal(threshold):.2f}{after}"


class _Run:
    """The rules taking their turns, one after another, on fresh copies of the lines."""

    def __init__(self, template: list[PricedLine], *, adopt: bool = False):
        # adopt: the template's lines are fresh and the caller's no more (no copy to make)
        self.lines = template if adopt else [line.fresh() for line in template]
        self.subtotal = self.left = sum(line.subtotal_cents for line in self.lines)
        self.given: dict[str, int] = {}  # rule id → cents given at its turn
        self.shipping: set[str] = set()  # free-shipping rules granted
        self.reasons: dict[str, str] = {}  # rule id → why it gave nothing

    def replay(self, candidates: list[_Candidate]) -> _Run:
        run = _Run(self.lines)
        for candidate in candidates:
            run.turn(candidate)
        return run

    def gave(self, rule: Promotion) -> bool:
        return self.given.get(rule.id, 0) > 0 or rule.id in self.shipping

    def turn(self, candidate: _Candidate) -> bool:
        """The rule's turn on what the earlier ones left; True when it gave something."""
        rule, threshold = candidate.rule, candidate.threshold
        if self.left < threshold:
            self.reasons[rule.id] = _spend_reason(threshold, self.subtotal)
            return False
        if candidate.level == SHIPPING:
            self.shipping.add(rule.id)
            return True
        if candidate.level == LINE:
            amount = _line_effect(rule, [self.lines[i] for i in candidate.matching])
        else:
            amount = _split(rule.id, _basket_amount(rule, self.left), self.lines, [line.left for line in self.lines])
        self.left -= amount
        self.given[rule.id] = amount
        if amount <= 0:
            self.reasons[rule.id] = "other promotions already cover this basket"
        return amount > 0


@dataclass
class _Outcome:
    run: _Run
    ran: list[_Candidate]  # the rules that had their turn, in running order
    dropped: list[tuple[_Candidate, Promotion]] = field(default_factory=list)  # (rule, the exclusive rule that stopped it)
    skipped: list[tuple[_Candidate, str]] = field(default_factory=list)  # (exclusive rule that gave nothing, why)


def _run_all(candidates: list[_Candidate], template: list[PricedLine]) -> _Outcome:
    """Every candidate in running order, with exclusivity (point 4 of the module docstring).
    The template's lines become the first run's: replays copy them fresh."""
    outcome = _Outcome(_Run(template, adopt=True), [])
    stopper: Promotion | None = None
    for candidate in sorted(candidates, key=lambda c: c.level):  # stable: priority order within a level
        rule = candidate.rule
        if stopper is not None and rule.priority < stopper.priority:
            outcome.dropped.append((candidate, stopper))
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
            outcome.dropped.extend((c, rule) for c in below)
        else:
            outcome.skipped.append((candidate, trial.reasons[rule.id]))
    return outcome


# -- the whole basket -----------------------------------------------------------------
def price_basket(inputs: list[LineInput], rules: Iterable[Promotion], ctx: PricingContext) -> PricedBasket:
    lines = [PricedLine.of(i.line_id, i.product, i.quantity) for i in inputs]
    tie_order = sorted(range(len(lines)), key=lambda i: (-lines[i].product.tax_rate, lines[i].product.id))  # stable: then position
    ranked = [lines[i] for i in tie_order]
    index = _LineIndex(ranked, ctx.categories_of)
    rule_set = _rule_set(rules)
    by_code, facts = rule_set.by_code, rule_set.facts
    coupon_states: dict[str, PricedCoupon] = {}

    def coupon(rule: Promotion, state: CouponState, reason: str | None) -> None:
        if rule.coupon_code:
            coupon_states[rule.coupon_code] = PricedCoupon(rule.coupon_code, state, reason, rule.id)

    candidates = []
    for rule in rule_set.running:
        if rule.coupon_code and rule.coupon_code not in ctx.coupons:
            continue
        if rule.ends_at and ctx.now >= rule.ends_at:
            coupon(rule, CouponState.EXPIRED, "this coupon has expired")
            continue
        matching = index.matching(rule)
        reason = _why_not(rule, ranked, matching, ctx)
        if reason:
            coupon(rule, CouponState.NOT_APPLICABLE, reason)
            continue
        candidates.append(_Candidate(rule, matching, *facts[rule.id]))

    outcome = _run_all(candidates, ranked)
    run = outcome.run
    priced_lines = [None] * len(lines)
    for position, line in zip(tie_order, run.lines):
        priced_lines[position] = line
    touched: dict[str, list[str]] = {}
    for line in priced_lines:
        for promotion_id in line.discounts_cents:
            touched.setdefault(promotion_id, []).append(line.line_id)

    applied = []
    for candidate in outcome.ran:
        rule = candidate.rule
        if run.gave(rule):
            applied.append(AppliedPromotion(rule, decimal(run.given.get(rule.id, 0)), tuple(touched.get(rule.id, ()))))
            coupon(rule, CouponState.APPLIED, None)
        else:
            coupon(rule, CouponState.NOT_APPLICABLE, run.reasons[rule.id])
    for candidate, reason in outcome.skipped:
        coupon(candidate.rule, CouponState.NOT_APPLICABLE, reason)
    for candidate, stopper in outcome.dropped:
        coupon(candidate.rule, CouponState.NOT_APPLICABLE, f"cannot be combined with “{stopper.name}”")

    coupons = [
        coupon_states.get(code) or PricedCoupon(code, CouponState.UNKNOWN, "no such coupon", by_code[code].id if code in by_code else None)
        for code in ctx.coupons
    ]
    subtotal = sum(line.subtotal_cents for line in lines)
    discount = sum(line.discount_cents for line in priced_lines)
    return PricedBasket(priced_lines, applied, coupons, decimal(subtotal), decimal(discount), _taxes(priced_lines), bool(run.shipping))


def _taxes(lines: list[PricedLine]) -> list[TaxLine]:
    gross_by_rate: dict[Decimal, int] = {}
    for line in lines:
        gross_by_rate[line.product.tax_rate] = gross_by_rate.get(line.product.tax_rate, 0) + line.left
    return [tax_line(rate, decimal(gross)) for rate, gross in sorted(gross_by_rate.items())]


def tax_line(rate: Decimal, gross: Decimal) -> TaxLine:
    """The tax contained in a gross amount at a rate, rounded half-up once."""
    return TaxLine(rate, gross, quantize(gross * rate / (1 + rate)))

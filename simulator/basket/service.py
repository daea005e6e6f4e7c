"""Basket rules: whose basket it is, what may go in, and what it costs right now.

Every change runs as one atomic read-check-write on the basket record (so fifty
concurrent adds lose none), with stock read inside the same lock. A refused change
writes nothing. Reading re-prices the basket against the live catalog and the
promotions in force on the simulator clock.

Guest baskets are bounded: anyone may make one, so they expire once untouched for
`guest_ttl_seconds`, and past `max_guest_baskets` the longest untouched go first
(`GUEST_AGES` keeps them in that order).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from math import ceil
from typing import NamedTuple

from simulator import versioned
from simulator.catalog import service as catalog
from simulator.catalog.model import PRODUCT, Product
from simulator.clock import Clock
from simulator.errors import DomainError
from simulator.offload import cooperative_yield
from simulator.order_history import has_ordered
from simulator.promotions import rules as promotions
from simulator.promotions.book import rule_book
from simulator.store import Store
from simulator.time_index import TimeIndex
from simulator.tokens import new_token, token_digest

from .model import BASKET, GUEST_OWNER_PREFIX, Basket, BasketLine, BasketMessage, MessageCode
from .pricing import CouponState, LineInput, PricedBasket, PricingContext, price_basket

#: How often (real seconds) the background loop calls `sweep_expired`.
SWEEP_INTERVAL_SECONDS = 300
#: Guest baskets, longest untouched first, to the second: stamped with the second after the
#: last change, so that the many changes a basket gets within a second leave its place in
#: the index as it is (a write fewer), while an expiry sweep still never takes one early.
GUEST_AGES = TimeIndex(BASKET, "baskets.guest_ages", lambda basket: ceil(basket.updated_at.timestamp()))


@dataclass(frozen=True)
class BasketRules:
    max_line_quantity: int = 99
    max_lines: int = 100
    guest_ttl_seconds: int = 7 * 24 * 3600
    low_stock_threshold: int = 5
    currency: str = "EUR"  # of every price, and of amounts an error names
    max_guest_baskets: int = 50_000

    @classmethod
    def from_settings(cls, settings) -> BasketRules:
        return cls(
            max_line_quantity=settings.max_line_quantity, guest_ttl_seconds=settings.guest_basket_ttl_seconds, currency=settings.currency,
            max_guest_baskets=settings.max_guest_baskets,
        )


# -- finding the caller's basket -------------------------------------------------------
@lru_cache(maxsize=4096)  # a guest sends its token with every request: hashed once while it is in use
def guest_owner(token: str) -> str:
    """The owner id of whatever a guest's token reaches: baskets, checkouts, orders."""
    return GUEST_OWNER_PREFIX + token_digest(token)


def _basket_not_found() -> DomainError:
    return DomainError(404, "BASKET_NOT_FOUND", "There is no basket for this token (it may have expired).")


def _new_basket(store: Store, now: datetime, owner_id: str, customer_id: str | None) -> Basket:
    return Basket(store.new_id("bsk"), owner_id, customer_id, (), (), (), now, now)


def create_guest_basket(store: Store, clock: Clock, rules: BasketRules) -> tuple[Basket, str]:
    """A new guest basket and the raw token that reaches it (only its digest is kept).
    Past `max_guest_baskets`, the longest untouched one is forgotten."""
    token = new_token()

    def create() -> Basket:
        basket = _new_basket(store, clock.now(), guest_owner(token), None)
        store.put(BASKET, basket)
        GUEST_AGES.added(store, basket)
        GUEST_AGES.evict_beyond(store, rules.max_guest_baskets)
        return basket

    return store.transaction(create), token


def guest_basket(store: Store, clock: Clock, rules: BasketRules, token: str) -> Basket:
    found = store.by_owner(BASKET, guest_owner(token)) if token else []
    if not found:
        raise _basket_not_found()
    basket = found[0]
    if _expired(basket, clock, rules):
        GUEST_AGES.delete(store, basket)
        raise _basket_not_found()
    return basket


def customer_basket(store: Store, clock: Clock, customer_id: str) -> Basket:
    """The customer's basket, created empty on first use (in a store transaction: once)."""
    found = store.by_owner(BASKET, customer_id)  # the common case: one read
    if found:
        return found[0]

    def create() -> Basket:
        found = store.by_owner(BASKET, customer_id)
        if found:
            return found[0]
        basket = _new_basket(store, clock.now(), customer_id, customer_id)
        store.put(BASKET, basket)
        return basket

    return store.transaction(create)


def _expired(basket: Basket, clock: Clock, rules: BasketRules) -> bool:
    return basket.is_guest and clock.now() - basket.updated_at > timedelta(seconds=rules.guest_ttl_seconds)


def sweep_expired(store: Store, clock: Clock, rules: BasketRules) -> int:
    """Forget abandoned guest baskets; returns how many went. Only the expired ones are read,
    a round at a time with a pause between rounds.

    The background loop calls it every SWEEP_INTERVAL_SECONDS; reading an expired guest
    basket answers BASKET_NOT_FOUND whether it was swept yet or not.
    """
    return GUEST_AGES.expire(store, clock.timestamp() - rules.guest_ttl_seconds, pause=cooperative_yield)


# -- changing a basket --------------------------------------------------------------------
def _change(store: Store, clock: Clock, basket: Basket, expected_version: int | None, edit: Callable[[Basket], Basket]) -> Basket:
    """`edit` applied to the basket as it is now: `basket` (as this request read it) when it has
    not changed since, which a shared store checks as it writes, without reading it again."""

    def edit_clearing_notices(current: Basket) -> Basket:
        edited = edit(current)
        # Notices are shown until the next change, unless this change made new ones.
        return edited if edited.notices is not current.notices or not edited.notices else versioned.replace(edited, notices=())

    def move_age(before: Basket, after: Basket) -> None:  # the index moves with the record, in the same write
        if after.is_guest:
            GUEST_AGES.replaced(store, before, after)

    return versioned.change(
        store, BASKET, basket.id, edit_clearing_notices, now=clock.now(), expected_version=expected_version,
        missing=_basket_not_found, label="basket", seen=basket, also=move_age,
    )


def _stocked_product(store: Store, product_id: str, quantity: int) -> Product:
    product = store.get(PRODUCT, product_id)
    if product is None:
        raise DomainError(409, "PRODUCT_UNAVAILABLE", f"Product {product_id} is not (or no longer) sold.", product_id=product_id)
    if quantity > product.stock:
        raise DomainError(
            409,
            "INSUFFICIENT_STOCK",
            f"Only {product.stock} of {product.name} available." if product.stock else f"{product.name} is sold out.",
            product_id=product_id,
            available=product.stock,
        )
    return product


def _check_quantity(quantity: int, rules: BasketRules) -> None:
    if quantity > rules.max_line_quantity:
        raise DomainError(
            422, "QUANTITY_TOO_HIGH", f"At most {rules.max_line_quantity} of one product per order.",
            errors={"quantity": f"at most {rules.max_line_quantity}"},
        )


def add_item(store, clock, basket: Basket, product_id: str, quantity: int, *, rules: BasketRules, expected_version=None) -> Basket:
    if store.get(PRODUCT, product_id) is None:
        raise DomainError(404, "PRODUCT_NOT_FOUND", f"There is no product {product_id}.")

    def edit(basket: Basket) -> Basket:
        existing = next((line for line in basket.lines if line.product_id == product_id), None)
        total = quantity + (existing.quantity if existing else 0)
        _check_quantity(total, rules)
        product = _stocked_product(store, product_id, total)
        if existing:
            lines = tuple(
                versioned.replace(line, quantity=total, seen_unit_price=product.price) if line is existing else line
                for line in basket.lines
            )
        else:
            if len(basket.lines) >= rules.max_lines:
                raise DomainError(409, "BASKET_FULL", f"A basket holds at most {rules.max_lines} lines.")
            line = BasketLine(store.new_id("itm"), product_id, total, product.price, product.name, product.sku, clock.now())
            lines = basket.lines + (line,)
        return versioned.replace(basket, lines=lines)

    return _change(store, clock, basket, expected_version, edit)


def _line_or_404(basket: Basket, line_id: str) -> BasketLine:
    line = basket.line(line_id)
    if line is None:
        raise DomainError(404, "BASKET_ITEM_NOT_FOUND", f"The basket has no line {line_id}.")
    return line


def set_quantity(store, clock, basket: Basket, line_id: str, quantity: int, *, rules: BasketRules, expected_version=None) -> Basket:
    """Change a line's quantity; 0 removes the line."""

    def edit(basket: Basket) -> Basket:
        line = _line_or_404(basket, line_id)
        if quantity == 0:
            return versioned.replace(basket, lines=tuple(ln for ln in basket.lines if ln.id != line_id))
        _check_quantity(quantity, rules)
        product = _stocked_product(store, line.product_id, quantity)
        changed = versioned.replace(line, quantity=quantity, seen_unit_price=product.price)
        return versioned.replace(basket, lines=tuple(changed if ln.id == line_id else ln for ln in basket.lines))

    return _change(store, clock, basket, expected_version, edit)


def remove_item(store, clock, basket: Basket, line_id: str, *, expected_version=None) -> Basket:
    def edit(basket: Basket) -> Basket:
        _line_or_404(basket, line_id)
        return versioned.replace(basket, lines=tuple(ln for ln in basket.lines if ln.id != line_id))

    return _change(store, clock, basket, expected_version, edit)


def empty(store, clock, basket: Basket, *, expected_version=None) -> Basket:
    return _change(store, clock, basket, expected_version, lambda basket: versioned.replace(basket, lines=(), coupons=()))


def apply_coupon(store, clock, basket: Basket, code: str, *, expected_version=None) -> Basket:
    """Put a coupon on the basket. An unknown code is refused; a known one that does not
    apply stays, with its state and reason, as real shops show it."""
    code = code.strip().upper()
    if promotions.find_by_coupon(store, code) is None:
        raise DomainError(422, "COUPON_UNKNOWN", f"There is no coupon {code}.", errors={"code": "unknown coupon"})

    def edit(basket: Basket) -> Basket:
        return basket if code in basket.coupons else versioned.replace(basket, coupons=basket.coupons + (code,))

    return _change(store, clock, basket, expected_version, edit)


def remove_coupon(store, clock, basket: Basket, code: str, *, expected_version=None) -> Basket:
    code = code.strip().upper()

    def edit(basket: Basket) -> Basket:
        if code not in basket.coupons:
            raise DomainError(404, "COUPON_NOT_ON_BASKET", f"Coupon {code} is not on this basket.")
        return versioned.replace(basket, coupons=tuple(c for c in basket.coupons if c != code))

    return _change(store, clock, basket, expected_version, edit)


def merge_guest_basket(store: Store, clock: Clock, rules: BasketRules, customer_id: str, token: str) -> tuple[Basket, bool]:
    """Move a guest basket into the customer's at login or registration: quantities of the
    same product add up, capped at stock and the per-line maximum, with a notice for each
    capped line. Returns (the customer's basket, whether a guest basket was merged): an
    expired or unknown token merges nothing, and the login still succeeds."""
    def merge() -> tuple[Basket, bool]:
        try:
            guest = guest_basket(store, clock, rules, token)
        except DomainError:
            return customer_basket(store, clock, customer_id), False
        target = customer_basket(store, clock, customer_id)

        def edit(basket: Basket) -> Basket:
            lines = {line.product_id: line for line in basket.lines}
            notices = list(basket.notices)
            for line in guest.lines:
                product = store.get(PRODUCT, line.product_id)
                if product is None or product.stock == 0:
                    notices.append(BasketMessage(
                        MessageCode.MERGE_NOT_ADDED, f"{line.name} is no longer available and was not added.", product_id=line.product_id,
                    ))
                    continue
                existing = lines.get(line.product_id)
                wanted = line.quantity + (existing.quantity if existing else 0)
                allowed = min(wanted, product.stock, rules.max_line_quantity)
                if existing:
                    merged_line = lines[line.product_id] = versioned.replace(existing, quantity=allowed)
                elif len(lines) < rules.max_lines:
                    merged_line = lines[line.product_id] = versioned.replace(line, quantity=allowed)
                else:
                    notices.append(BasketMessage(
                        MessageCode.MERGE_BASKET_FULL, f"{product.name} was not added: the basket is full.", product_id=product.id,
                    ))
                    continue
                if allowed < wanted:
                    notices.append(BasketMessage(
                        MessageCode.MERGE_QUANTITY_LOWERED,
                        f"{product.name}: quantity lowered from {wanted} to {allowed} (stock or per-line limit).",
                        merged_line.id, product.id,
                    ))
            coupons = basket.coupons + tuple(c for c in guest.coupons if c not in basket.coupons)
            return versioned.replace(basket, lines=tuple(lines.values()), coupons=coupons, notices=tuple(notices))

        merged = _change(store, clock, target, None, edit)
        GUEST_AGES.delete(store, guest)
        return merged, True

    return store.transaction(merge)


# -- pricing a basket ---------------------------------------------------------------------
class LineStatus(StrEnum):
    OK = "ok"
    INSUFFICIENT_STOCK = "insufficient_stock"  # fewer in stock than the line asks for
    SOLD_OUT = "sold_out"
    UNAVAILABLE = "unavailable"  # the product is no longer sold


#: The messages that stop a checkout, as long as they hold.
BLOCKING = (MessageCode.PRODUCT_UNAVAILABLE, MessageCode.SOLD_OUT, MessageCode.INSUFFICIENT_STOCK)


class LineState(NamedTuple):  # a tuple: one per line of every answer, immutable and the cheapest to make
    line: BasketLine
    product: Product | None
    status: LineStatus
    previous_unit_price: Decimal | None  # set when the price changed since the shopper saw it


@dataclass(frozen=True)
class BasketView:
    basket: Basket
    priced: PricedBasket
    lines: list[LineState]
    messages: list[BasketMessage]

    @property
    def blocking(self) -> list[BasketMessage]:
        """Why checkout cannot proceed (empty when it can)."""
        if not self.lines:
            return [BasketMessage(MessageCode.BASKET_EMPTY, "The basket is empty.")]
        return [message for message in self.messages if message.code in BLOCKING]


_categories_of: tuple[Callable, Callable[[Product], frozenset[str]]] | None = None  # (ancestry, categories_of)


def categories_of(store: Store) -> Callable[[Product], frozenset[str]]:
    """Product → its categories and all their ancestors (category conditions match subtrees).
    The same function for as long as the category tree is the same: pricing keeps what it
    works out with it (which rules each product matches) until it is another."""
    global _categories_of
    ancestry, kept = catalog.category_ancestry(store), _categories_of
    if kept is None or kept[0] is not ancestry:
        kept = _categories_of = (ancestry, lambda product: ancestry(product.category_ids))
    return kept[1]


class _Usage(Mapping):
    """Promotion id → its usage, read when a rule with a limit asks (most have none)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def __getitem__(self, promotion_id: str) -> promotions.PromotionUsage:
        usage = self._store.get(promotions.PROMOTION_USAGE, promotion_id)
        if usage is None:
            raise KeyError(promotion_id)
        return usage

    def __iter__(self) -> Iterator[str]:
        return (usage.id for usage in self._store.values(promotions.PROMOTION_USAGE))

    def __len__(self) -> int:
        return self._store.count(promotions.PROMOTION_USAGE)


def pricing_context(store: Store, clock: Clock, basket: Basket) -> PricingContext:
    return PricingContext(
        now=clock.now(),
        coupons=basket.coupons,
        customer_id=basket.customer_id,
        first_order=not has_ordered(store, basket.customer_id) if basket.customer_id else False,
        usage=_Usage(store),
        categories_of=categories_of(store),
    )


def view(store: Store, clock: Clock, basket: Basket, rules: BasketRules) -> BasketView:
    states, inputs, messages = [], [], list(basket.notices)
    for line, product in zip(basket.lines, store.get_many(PRODUCT, [line.product_id for line in basket.lines])):
        previous = None
        if product is None:
            status = LineStatus.UNAVAILABLE
            messages.append(_about(line, MessageCode.PRODUCT_UNAVAILABLE, f"{line.name} is no longer available; remove it to check out."))
        elif product.stock == 0:
            status = LineStatus.SOLD_OUT
            messages.append(_about(line, MessageCode.SOLD_OUT, f"{product.name} is sold out; remove it to check out."))
        else:
            if line.quantity > product.stock:
                status = LineStatus.INSUFFICIENT_STOCK
                messages.append(_about(
                    line, MessageCode.INSUFFICIENT_STOCK, f"Only {product.stock} of {product.name} left; lower the quantity to check out."))
            else:
                status = LineStatus.OK
                if product.stock <= rules.low_stock_threshold:
                    messages.append(_about(line, MessageCode.LOW_STOCK, f"Only {product.stock} of {product.name} left."))
            if product.price != line.seen_unit_price:
                previous = line.seen_unit_price
                messages.append(_about(
                    line, MessageCode.PRICE_CHANGED,
                    f"The price of {product.name} changed from {previous:.2f} to {product.price:.2f} since it was added."))
            inputs.append(LineInput(line.id, product, line.quantity))
        states.append(LineState(line, product, status, previous))
    priced = price_basket(inputs, rule_book(store).running, pricing_context(store, clock, basket))
    for coupon in priced.coupons:
        if coupon.state != CouponState.APPLIED:
            messages.append(BasketMessage(MessageCode.COUPON_NOT_APPLICABLE, f"Coupon {coupon.code} does not apply: {coupon.reason}."))
    return BasketView(basket, priced, states, messages)


def _about(line: BasketLine, code: MessageCode, text: str) -> BasketMessage:
    return BasketMessage(code, text, line.id, line.product_id)


def item_count(basket: Basket) -> int:
    return sum(line.quantity for line in basket.lines)


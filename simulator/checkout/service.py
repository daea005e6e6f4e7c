"""Checkout: a state machine over the caller's basket, step by step to an order.

Steps in order: shipping address → billing address → payment type → delivery option
→ payment → order. A step taken before its predecessor answers 409 with the code of
the missing step. Changing a step resets what depends on it: a new destination can
invalidate the delivery option and the payment type, and any change of the amount
voids an authorized payment. The totals shown are remembered (`seen_*`): an order is
never placed on totals the customer did not see (409 CHECKOUT_OUTDATED).

A basket has at most one open checkout (`BASKET_CHECKOUTS` names it): opening another
closes it (409 CHECKOUT_CLOSED at every step, so a basket is never paid or ordered
twice), and forgets the one closed before, so a basket keeps at most one open and one
closed checkout besides those that became orders. Checkouts are forgotten once untouched
for the checkout lifetime (`sweep_expired`; their orders stay), and a payment page link
finds its checkout by the token's digest (`REDIRECT_TOKEN`), one link a checkout.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from simulator import domain_faults, versioned
from simulator.basket import service as baskets
from simulator.basket.model import BASKET, Basket
from simulator.basket.pricing import TaxLine, tax_line
from simulator.clock import Clock
from simulator.customers import accounts, addresses
from simulator.errors import DomainError, validation_error
from simulator.money import ZERO, money
from simulator.offload import cooperative_yield
from simulator.store import Store
from simulator.time_index import TimeIndex
from simulator.tokens import new_token, token_digest

from . import options, payments
from .model import (
    BASKET_CHECKOUTS,
    CHECKOUT,
    REDIRECT_TOKEN,
    STEPS,
    BasketCheckouts,
    Checkout,
    CheckoutStatus,
    Payment,
    PaymentState,
    RedirectToken,
    Step,
)
from .options import PaymentFlow

#: Shipping and payment fees carry the standard tax rate.
SERVICE_TAX_RATE = Decimal("0.19")
ADDRESS_KEYS = addresses.POSTAL_FIELDS  # what an address snapshot on a checkout and an order holds
#: Checkouts, longest untouched first.
AGES = TimeIndex(CHECKOUT, "checkouts.ages", lambda checkout: checkout.updated_at.timestamp())
#: How often (real seconds) the background loop calls `sweep_expired`.
SWEEP_INTERVAL_SECONDS = 60


@dataclass(frozen=True)
class CheckoutTotals:
    subtotal: Decimal
    discount: Decimal
    shipping: Decimal
    payment_fee: Decimal
    tax: Decimal
    total: Decimal
    taxes: list[TaxLine]


@dataclass(frozen=True)
class CheckoutView:
    checkout: Checkout
    basket: baskets.BasketView
    totals: CheckoutTotals
    delivery: options.DeliveryQuote | None
    messages: list[str]


def _outdated(total: Decimal, rules: baskets.BasketRules) -> DomainError:
    """The totals changed since they were shown: the customer reviews and confirms again."""
    return DomainError(
        409, "CHECKOUT_OUTDATED",
        "The basket or its prices changed since the totals were shown; review the checkout and confirm again.",
        total=money(total, rules.currency),
    )


def _not_found() -> DomainError:
    return DomainError(404, "CHECKOUT_NOT_FOUND", "There is no such checkout for this caller.")


def get_checkout(store: Store, owner_id: str, checkout_id: str) -> Checkout:
    """The caller's checkout; someone else's answers 404 like an unknown one."""
    checkout = store.get(CHECKOUT, checkout_id)
    if checkout is None or checkout.owner_id != owner_id:
        raise _not_found()
    return checkout


# -- pricing -------------------------------------------------------------------------------
def basket_weight(view: baskets.BasketView) -> int:
    return sum(state.product.weight_grams * state.line.quantity for state in view.lines if state.product)


def _delivery_quote(checkout: Checkout, view: baskets.BasketView, clock: Clock) -> options.DeliveryQuote | None:
    if checkout.shipping_address is None or checkout.delivery_option is None:
        return None
    quotes = options.delivery_quotes(checkout.shipping_address["country"], basket_weight(view), clock.now(), view.priced.free_shipping)
    return next((q for q in quotes if q.option.id == checkout.delivery_option), None)


def _totals(checkout: Checkout, view: baskets.BasketView, quote: options.DeliveryQuote | None) -> CheckoutTotals:
    priced = view.priced
    shipping = quote.price if quote else ZERO
    payment_type = options.payment_type(checkout.payment_type) if checkout.payment_type else None
    fee = payment_type.fee if payment_type else ZERO
    gross = {t.rate: t.gross for t in priced.taxes}
    if shipping + fee:
        gross[SERVICE_TAX_RATE] = gross.get(SERVICE_TAX_RATE, ZERO) + shipping + fee
    taxes = [tax_line(rate, amount) for rate, amount in sorted(gross.items())]
    return CheckoutTotals(
        subtotal=priced.subtotal,
        discount=priced.discount,
        shipping=shipping,
        payment_fee=fee,
        tax=sum((t.tax for t in taxes), ZERO),
        total=priced.total + shipping + fee,
        taxes=taxes,
    )


def _price(
    store: Store, clock: Clock, rules: baskets.BasketRules, checkout: Checkout, known: baskets.BasketView | None = None,
) -> tuple[Basket | None, CheckoutView]:
    """The checkout priced now. `known`: the basket priced a moment ago in the same atomic
    section (a step prices the checkout before and after its change): reused while the
    basket is at the same version, as nothing else can have changed meanwhile."""
    basket = store.get(BASKET, checkout.basket_id)
    if basket is None:
        raise DomainError(409, "BASKET_NOT_FOUND", "The basket of this checkout is gone; open a new checkout.")
    same = known is not None and (known.basket.id, known.basket.version) == (basket.id, basket.version)
    view = known if same else baskets.view(store, clock, basket, rules)
    quote = _delivery_quote(checkout, view, clock)
    return basket, CheckoutView(checkout, view, _totals(checkout, view, quote), quote, list(view.messages))


def _reconcile(
    store: Store, clock: Clock, rules: baskets.BasketRules, checkout: Checkout, known: baskets.BasketView | None = None,
) -> tuple[Checkout, CheckoutView]:
    """The checkout fitted to the basket and catalog as they are now: a delivery option
    or payment type that no longer fits is dropped, a payment made for another amount
    is voided, and the totals computed now become the ones the customer has seen. With
    it, the view of those totals (what showing the fitted checkout answers)."""
    basket, view = _price(store, clock, rules, checkout, known)
    fitted = checkout
    if fitted.delivery_option and view.delivery is None:
        fitted = dataclasses.replace(fitted, delivery_option=None)
    if fitted.payment_type and fitted.shipping_address:
        choice = _choice(fitted.shipping_address["country"], view.basket, fitted.payment_type)
        if choice is None or not choice.available:
            fitted = dataclasses.replace(fitted, payment_type=None)
    if fitted is not checkout:
        basket, view = _price(store, clock, rules, fitted, view.basket)
    fitted = dataclasses.replace(fitted, seen_basket_version=basket.version, seen_total=view.totals.total)
    if fitted.payment and (fitted.payment.amount != fitted.seen_total or fitted.payment.type_id != fitted.payment_type):
        fitted = dataclasses.replace(fitted, payment=None)
    return fitted, view  # the payment is no part of the view: its dropping changes nothing there


def _choice(country: str, view: baskets.BasketView, type_id: str) -> options.PaymentChoice | None:
    return next((c for c in options.payment_choices(country, view.priced.total) if c.type.id == type_id), None)


def _is_current(checkout: Checkout, view: CheckoutView, basket: Basket) -> bool:
    return checkout.seen_basket_version == basket.version and checkout.seen_total == view.totals.total


def show(
    store: Store, clock: Clock, rules: baskets.BasketRules, owner_id: str, checkout_id: str, known: baskets.BasketView | None = None,
) -> CheckoutView:
    """The checkout as it is now. Showing new totals records them as seen. `known`: as for `_price`."""
    checkout = get_checkout(store, owner_id, checkout_id)
    basket, view = _price(store, clock, rules, checkout, known)
    if checkout.status == CheckoutStatus.OPEN and not _is_current(checkout, view, basket):
        return _change_reconciled(store, clock, rules, checkout.id, None, _keep)
    return view


def _keep(current: Checkout, priced: Callable[[], CheckoutView]) -> Checkout:
    return current


def _change_reconciled(store, clock, rules, checkout_id, expected_version, edit) -> CheckoutView:
    """Change the checkout with `edit(current, priced)` (`priced()`: the current checkout's
    view, for edits that need it) and reconcile it, pricing the basket once; returns the
    view of the checkout as written."""
    seen: list[CheckoutView] = []

    def apply(current: Checkout) -> Checkout:
        made: list[CheckoutView] = []

        def priced() -> CheckoutView:
            if not made:
                made.append(_price(store, clock, rules, current)[1])
            return made[0]

        fitted, view = _reconcile(store, clock, rules, edit(current, priced), made[0].basket if made else None)
        seen.append(view)
        return fitted

    changed = _change(store, clock, checkout_id, expected_version, apply)
    return dataclasses.replace(seen[-1], checkout=changed)


# -- opening and steps -----------------------------------------------------------------------
def open_checkout(store: Store, clock: Clock, rules: baskets.BasketRules, basket: Basket, email: str | None) -> CheckoutView:
    """A new checkout for the caller's basket (customers: their email; guests: the one they give)."""
    if basket.customer_id:
        email = accounts.get_customer(store, basket.customer_id).email
    elif not email:
        raise validation_error({"email": "guests give an email to check out"})
    def open_it() -> CheckoutView:  # priced and shown at one moment: the basket is priced once
        view = baskets.view(store, clock, basket, rules)
        _ensure_checkoutable(view)
        now = clock.now()
        closed_id = _close_open_one(store, clock, basket.id)
        checkout = Checkout(
            id=store.new_id("chk"), owner_id=basket.owner_id, customer_id=basket.customer_id, email=email,
            basket_id=basket.id, shipping_address=None, billing_address=None, billing_same_as_shipping=False,
            payment_type=None, delivery_option=None, payment=None,
            seen_basket_version=basket.version, seen_total=view.priced.total,
            status=CheckoutStatus.OPEN, order_id=None, created_at=now, updated_at=now,
        )
        store.put(CHECKOUT, checkout)
        store.put(BASKET_CHECKOUTS, BasketCheckouts(basket.id, checkout.id, closed_id))
        AGES.added(store, checkout)
        return show(store, clock, rules, checkout.owner_id, checkout.id, view)

    return store.transaction(open_it)


def _close_open_one(store: Store, clock: Clock, basket_id: str) -> str | None:
    """Before a new checkout of the basket opens: its open one is closed, and the one closed
    before is forgotten. Returns the id closed now (None when none was open)."""
    kept = store.get(BASKET_CHECKOUTS, basket_id)
    if kept is None:
        return None
    closed_before = store.get(CHECKOUT, kept.closed_id) if kept.closed_id else None
    if closed_before is not None and closed_before.status == CheckoutStatus.CLOSED:
        _forget(store, closed_before)
    still_open = store.get(CHECKOUT, kept.open_id) if kept.open_id else None
    if still_open is None or still_open.status != CheckoutStatus.OPEN:
        return None
    _change(store, clock, still_open.id, None, lambda current: dataclasses.replace(current, status=CheckoutStatus.CLOSED, payment=None))
    _forget_links(store, still_open)
    return still_open.id


def _ensure_checkoutable(view: baskets.BasketView) -> None:
    """409 unless the basket can be checked out as it is: not empty, every line available."""
    if not view.basket.lines:
        raise DomainError(409, "BASKET_EMPTY", "The basket is empty.")
    if view.blocking:
        problems = [problem.as_dict() for problem in view.blocking]
        raise DomainError(409, "BASKET_NOT_READY", "The basket cannot be checked out as it is.", problems=problems)


def _change(store: Store, clock: Clock, checkout_id: str, expected_version: int | None, edit: Callable[[Checkout], Checkout]) -> Checkout:
    def change() -> Checkout:  # the age index moves with the record
        before = store.get(CHECKOUT, checkout_id)
        changed = versioned.change(
            store, CHECKOUT, checkout_id, edit,
            now=clock.now(), expected_version=expected_version, missing=_not_found, label="checkout",
        )
        AGES.replaced(store, before, changed)
        return changed

    return store.transaction(change)


def _forget_links(store: Store, checkout: Checkout) -> None:
    for link in store.by_owner(REDIRECT_TOKEN, checkout.id):
        store.delete(REDIRECT_TOKEN, link.id)


def _unlist(store: Store, checkout: Checkout) -> None:
    """The checkout is no longer its basket's open or closed one."""
    kept = store.get(BASKET_CHECKOUTS, checkout.basket_id)
    if kept is None or checkout.id not in (kept.open_id, kept.closed_id):
        return
    kept = dataclasses.replace(
        kept, open_id=None if kept.open_id == checkout.id else kept.open_id,
        closed_id=None if kept.closed_id == checkout.id else kept.closed_id,
    )
    if kept.open_id is None and kept.closed_id is None:
        store.delete(BASKET_CHECKOUTS, kept.id)
    else:
        store.put(BASKET_CHECKOUTS, kept)


def _forget_dependents(store: Store, checkout: Checkout) -> None:
    """What goes with a checkout: its payment link, its place among its basket's checkouts."""
    _forget_links(store, checkout)
    _unlist(store, checkout)


def _forget(store: Store, checkout: Checkout) -> None:
    """Delete a checkout with what depends on it."""
    with store.atomic():
        _forget_dependents(store, checkout)
        AGES.delete(store, checkout)


def sweep_expired(store: Store, clock: Clock, ttl_seconds: int) -> int:
    """Forget checkouts untouched for `ttl_seconds` (open or completed: the orders stay); how many went."""
    return AGES.expire(store, clock.timestamp() - ttl_seconds, lambda checkout: _forget_dependents(store, checkout), cooperative_yield)


def _require(checkout: Checkout, step: Step) -> None:
    """409 naming the first missing step before `step`; 409 once the checkout is completed or closed."""
    if checkout.status == CheckoutStatus.COMPLETED:
        raise DomainError(409, "CHECKOUT_COMPLETED", f"This checkout already became order {checkout.order_id}.", order_id=checkout.order_id)
    if checkout.status == CheckoutStatus.CLOSED:
        raise DomainError(409, "CHECKOUT_CLOSED", "A newer checkout of this basket replaced this one; continue there, or open a new one.")
    for name, code in STEPS:
        if name == step:
            return
        if not checkout.step_done(name):
            raise DomainError(409, code, f"Set the {name.replace('_', ' ')} first.", missing_step=name)


def _step(store, clock, rules, owner_id, checkout_id, step, expected_version, edit) -> CheckoutView:
    """Take a step: check its predecessors, apply it, then reconcile what depends on it."""
    get_checkout(store, owner_id, checkout_id)

    def checked_edit(current: Checkout, priced: Callable[[], CheckoutView]) -> Checkout:
        _require(current, step)
        return edit(current, priced)

    return _change_reconciled(store, clock, rules, checkout_id, expected_version, checked_edit)


def resolve_address(store: Store, customer_id: str | None, address_id: str | None, inline: Mapping[str, Any] | None) -> dict:
    """An address snapshot from the caller's address book, or given inline (as `PostalAddressSchema`
    loads it; the country's rules are applied here, as for the address book)."""
    if address_id is not None:
        if customer_id is None:
            raise validation_error({"address_id": "guests give the address inline"})
        address = addresses.get_address(store, customer_id, address_id)
        return {key: getattr(address, key) for key in ADDRESS_KEYS}
    if inline is None:
        raise validation_error({"address": "give address_id or address"})
    try:
        return addresses.postal_address(inline)
    except DomainError as error:  # named as the request nests them, like the schema's own messages
        raise validation_error({f"address.{name}": message for name, message in error.errors.items()}) from None


def set_shipping_address(store, clock, rules, owner_id, checkout_id, address: dict, expected_version=None) -> CheckoutView:
    if address["country"] not in options.ZONES:
        raise validation_error({"address.country": f"we do not deliver to {address['country']}"})

    def edit(current: Checkout, priced: Callable[[], CheckoutView]) -> Checkout:
        billing = address if current.billing_same_as_shipping else current.billing_address
        return dataclasses.replace(current, shipping_address=address, billing_address=billing, payment=None)

    return _step(store, clock, rules, owner_id, checkout_id, Step.SHIPPING_ADDRESS, expected_version, edit)


def set_billing_address(store, clock, rules, owner_id, checkout_id, address: dict | None, same_as_shipping: bool, expected_version=None) -> CheckoutView:
    def edit(current: Checkout, priced: Callable[[], CheckoutView]) -> Checkout:
        billing = current.shipping_address if same_as_shipping else address
        return dataclasses.replace(current, billing_address=billing, billing_same_as_shipping=same_as_shipping, payment=None)

    return _step(store, clock, rules, owner_id, checkout_id, Step.BILLING_ADDRESS, expected_version, edit)


def payment_choices(store, clock, rules, owner_id, checkout_id) -> list[options.PaymentChoice]:
    checkout = get_checkout(store, owner_id, checkout_id)
    _require(checkout, Step.BILLING_ADDRESS)  # a read: it needs only the destination
    _, view = _price(store, clock, rules, checkout)
    return options.payment_choices(checkout.shipping_address["country"], view.basket.priced.total)


def set_payment_type(store, clock, rules, owner_id, checkout_id, type_id: str, expected_version=None) -> CheckoutView:
    def edit(current: Checkout, priced: Callable[[], CheckoutView]) -> Checkout:
        choice = _choice(current.shipping_address["country"], priced().basket, type_id)
        if choice is None:
            raise validation_error({"payment_type": f"one of {', '.join(t.id for t in options.PAYMENT_TYPES)}"})
        if not choice.available:
            raise DomainError(409, "PAYMENT_TYPE_NOT_AVAILABLE", f"{choice.type.name} is {choice.reason}.")
        return dataclasses.replace(current, payment_type=type_id, payment=None)

    return _step(store, clock, rules, owner_id, checkout_id, Step.PAYMENT_TYPE, expected_version, edit)


def delivery_choices(store, clock, rules, owner_id, checkout_id) -> list[options.DeliveryQuote]:
    checkout = get_checkout(store, owner_id, checkout_id)
    _require(checkout, Step.BILLING_ADDRESS)
    _, view = _price(store, clock, rules, checkout)
    return options.delivery_quotes(checkout.shipping_address["country"], basket_weight(view.basket), clock.now(), view.basket.priced.free_shipping)


def set_delivery_option(store, clock, rules, owner_id, checkout_id, option_id: str, expected_version=None) -> CheckoutView:
    def edit(current: Checkout, priced: Callable[[], CheckoutView]) -> Checkout:
        quotes = options.delivery_quotes(current.shipping_address["country"], basket_weight(priced().basket), clock.now(), False)
        if option_id not in {q.option.id for q in quotes}:
            known = {o.id for o in options.DELIVERY_OPTIONS}
            if option_id not in known:
                raise validation_error({"delivery_option_id": f"one of {', '.join(sorted(known))}"})
            raise DomainError(409, "DELIVERY_OPTION_NOT_AVAILABLE", f"{option_id} cannot deliver this order there.")
        return dataclasses.replace(current, delivery_option=option_id, payment=None)

    return _step(store, clock, rules, owner_id, checkout_id, Step.DELIVERY_OPTION, expected_version, edit)


# -- payment -----------------------------------------------------------------------------------
def pay(store, clock, rules, owner_id, checkout_id, card: Mapping[str, Any] | None, return_url: str | None, expected_version=None) -> tuple[CheckoutView, str | None]:
    """Pay for the totals shown. Returns the checkout and, for a redirect flow, the raw
    redirect token. A declined card is recorded on the checkout, then answers 402.
    Totals that changed since they were shown answer 409 CHECKOUT_OUTDATED: nobody pays
    an amount they have not seen."""
    checkout = get_checkout(store, owner_id, checkout_id)
    shown = show(store, clock, rules, owner_id, checkout_id)  # reconciles when outdated
    current = shown.checkout
    if (current.seen_total, current.seen_basket_version) != (checkout.seen_total, checkout.seen_basket_version):
        raise _outdated(current.seen_total, rules)
    _require(current, Step.PAYMENT)
    _ensure_checkoutable(shown.basket)  # never a payment for shipping alone
    flow = options.payment_type(checkout.payment_type).flow if checkout.payment_type else None
    if flow == PaymentFlow.CARD and card is None:
        raise validation_error({"card": "required for card payments"})
    if flow == PaymentFlow.CARD:
        problems = payments.card_problems(card["number"], card["expiry_month"], card["expiry_year"], card["cvc"], clock.now().date())
        if problems:
            raise validation_error(problems)
    token = new_token() if flow == PaymentFlow.REDIRECT else None
    fault = domain_faults.drawn_once()  # `edit` runs again when the transaction does

    def edit(current: Checkout) -> Checkout:
        _require(current, Step.PAYMENT)
        amount = current.seen_total
        if flow == PaymentFlow.CARD:
            outcome = payments.card_outcome(card["number"])
            if outcome.state != PaymentState.DECLINED and fault("card_declined"):
                outcome = dataclasses.replace(outcome, state=PaymentState.DECLINED, decline_code="PAYMENT_DECLINED")
            payment = Payment(current.payment_type, outcome.state, amount, outcome.brand, outcome.last4, outcome.decline_code)
        elif flow == PaymentFlow.REDIRECT:
            payment = Payment(current.payment_type, PaymentState.PENDING_REDIRECT, amount, redirect_token_digest=token_digest(token), return_url=return_url)
        else:
            payment = Payment(current.payment_type, PaymentState.PENDING, amount)
        return dataclasses.replace(current, payment=payment)

    def pay_it() -> None:
        _change(store, clock, checkout_id, expected_version, edit)
        if token is not None:  # the new link replaces any earlier one of this checkout
            _forget_links(store, store.get(CHECKOUT, checkout_id))
            store.put(REDIRECT_TOKEN, RedirectToken(token_digest(token), checkout_id))

    store.transaction(pay_it)
    view = show(store, clock, rules, owner_id, checkout_id)
    payment = view.checkout.payment
    if payment is None:  # the totals moved while paying: the payment no longer fits them
        raise _outdated(view.checkout.seen_total, rules)
    if payment.state == PaymentState.DECLINED:
        raise DomainError(402, payment.decline_code, payments.DECLINE_MESSAGES[payment.decline_code], checkout_id=checkout_id)
    return view, token


def confirm_payment(store, clock, rules, owner_id, checkout_id, expected_version=None) -> CheckoutView:
    """Complete a payment that asked for confirmation (the 3-D Secure step)."""

    def edit(current: Checkout) -> Checkout:
        if current.payment is None or current.payment.state != PaymentState.REQUIRES_CONFIRMATION:
            raise DomainError(409, "NOTHING_TO_CONFIRM", "No payment of this checkout waits for confirmation.")
        return dataclasses.replace(current, payment=dataclasses.replace(current.payment, state=PaymentState.AUTHORIZED))

    get_checkout(store, owner_id, checkout_id)
    _change(store, clock, checkout_id, expected_version, edit)
    return show(store, clock, rules, owner_id, checkout_id)


def find_redirect(store: Store, token: str) -> Checkout:
    """The checkout a payment page link belongs to: one lookup by the token's digest."""
    digest = token_digest(token)
    link = store.get(REDIRECT_TOKEN, digest)
    checkout = store.get(CHECKOUT, link.owner_id) if link is not None else None
    if checkout is None or checkout.payment is None or checkout.payment.redirect_token_digest != digest:
        raise DomainError(404, "PAYMENT_NOT_FOUND", "There is no payment waiting behind this link.")
    return checkout


def complete_redirect(store: Store, clock: Clock, token: str, approve: bool) -> Checkout:
    """The payment page's answer: approve (authorized) or cancel."""
    checkout = find_redirect(store, token)

    def edit(current: Checkout) -> Checkout:
        if current.payment is None or current.payment.redirect_token_digest != token_digest(token) or current.payment.state != PaymentState.PENDING_REDIRECT:
            raise DomainError(409, "PAYMENT_NOT_PENDING", "This payment is no longer waiting for an answer.")
        state = PaymentState.AUTHORIZED if approve else PaymentState.CANCELLED
        return dataclasses.replace(current, payment=dataclasses.replace(current.payment, state=state))

    return _change(store, clock, checkout.id, None, edit)


# -- placing the order (orders.placement calls these, in its transaction) -----------------
def require_orderable(checkout: Checkout) -> None:
    """409 naming the first missing step, or CHECKOUT_COMPLETED: an order needs every step."""
    _require(checkout, Step.ORDER)


def priced(store: Store, clock: Clock, rules: baskets.BasketRules, checkout: Checkout) -> CheckoutView:
    """The checkout priced as the basket and catalog are now (nothing is recorded)."""
    return _price(store, clock, rules, checkout)[1]


def ensure_current(store: Store, clock: Clock, rules: baskets.BasketRules, checkout: Checkout, view: CheckoutView) -> None:
    """409 CHECKOUT_OUTDATED unless `view` has the totals the customer saw. The new totals
    are recorded as seen first, so the checkout shown next presents them."""
    if not _is_current(checkout, view, view.basket.basket):
        fitted = _change_reconciled(store, clock, rules, checkout.id, None, _keep).checkout
        raise _outdated(fitted.seen_total, rules)


def complete(store: Store, clock: Clock, checkout_id: str, order_id: str) -> Checkout:
    """The checkout became order `order_id`: no step can be taken any more."""
    def complete_it() -> Checkout:
        completed = _change(store, clock, checkout_id, None,
                            lambda current: dataclasses.replace(current, status=CheckoutStatus.COMPLETED, order_id=order_id))
        _unlist(store, completed)  # a basket's open checkout is the only one an order can come from
        return completed

    return store.transaction(complete_it)

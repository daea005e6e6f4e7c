"""Placing an order from a checkout: the one place an order comes to be.

In one store transaction (on a shared store it runs again when what it read moved before
its commit, so it acts on one consistent state): the checkout must have every step
done and show the totals the customer saw (checkout's rules), every line must be in
stock; then stock is taken (catalog), promotion usage recorded (promotions), the
order stored, the basket emptied (basket) and the checkout completed (checkout).
Any refusal writes nothing of that. The confirmation mail goes out after it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from simulator import domain_faults, idempotency
from simulator.basket import service as baskets
from simulator.basket.pricing import CouponState
from simulator.catalog import service as catalog
from simulator.catalog.stock import ensure_stock, take_stock
from simulator.checkout import options
from simulator.checkout import service as checkouts
from simulator.checkout.model import Checkout
from simulator.checkout.options import PaymentFlow
from simulator.clock import Clock
from simulator.errors import DomainError
from simulator.mail import outbox
from simulator.promotions.usage import record_usage
from simulator.store import Store
from simulator.webhooks import events

from .model import (
    ORDER,
    Order,
    OrderDelivery,
    OrderLine,
    OrderPayment,
    OrderPaymentState,
    OrderStatus,
    StatusChange,
)
from .service import OrderTimings, next_number, track_due


def place_order(
    store: Store, clock: Clock, rules: baskets.BasketRules, timings: OrderTimings, owner_id: str, checkout_id: str,
    idempotency_key: str | None, body: Mapping[str, Any],
) -> tuple[Order, bool]:
    """Place the order: (order, replayed). Stock for every line is taken atomically (all
    or none), coupon usage recorded, the basket emptied, a confirmation mailed. With an
    Idempotency-Key a retry answers the same order and never places a second one."""
    checkouts.get_checkout(store, owner_id, checkout_id)

    def place() -> str:
        fault = domain_faults.drawn_once()  # the transaction may run `_place` again
        order = store.transaction(lambda: _place(store, clock, rules, timings, checkouts.get_checkout(store, owner_id, checkout_id), body, fault))
        lines = "\n".join(f"  {line.quantity} × {line.name}: {line.total:.2f}" for line in order.lines)
        outbox.send(
            store, clock, recipient=order.email, template="order_confirmation",
            subject=f"Your order {order.number}",
            text=f"Thank you for your order {order.number}.\n{lines}\nTotal: {order.total:.2f}",
        )
        return order.id

    fingerprint = idempotency.fingerprint({"checkout_id": checkout_id, **body})
    outcome = idempotency.run(store, clock, f"orders.place:{owner_id}", idempotency_key, fingerprint, place)
    return store.get(ORDER, outcome.result), outcome.replayed


def _simulate_bad_luck(store: Store, clock: Clock, view: checkouts.CheckoutView, fault: Callable[[str], bool]) -> bool:
    """Domain faults (configured rates or X-Sim-Fault): a product of the basket sells out,
    or its price changes, just before the order is placed; the ordinary rules then
    answer. True when the catalog changed."""
    products = [state.product for state in view.basket.lines if state.product is not None]
    if not products:
        return False
    changed = False
    if fault("sold_out"):
        catalog.update_product(store, clock, products[0].id, {"stock": 0})
        changed = True
    if fault("price_changed"):
        product = products[0]
        catalog.update_product(store, clock, product.id, {"price": product.price + Decimal("1.00"), "compare_at_price": None})
        changed = True
    return changed


def _place(store: Store, clock: Clock, rules: baskets.BasketRules, timings: OrderTimings, checkout: Checkout,
           body: Mapping[str, Any], fault: Callable[[str], bool]) -> Order:
    """The placement itself, in a store transaction (all of it or nothing)."""
    checkouts.require_orderable(checkout)
    view = checkouts.priced(store, clock, rules, checkout)
    if _simulate_bad_luck(store, clock, view, fault):
        view = checkouts.priced(store, clock, rules, checkout)
    ensure_stock(store, {state.line.product_id: state.line.quantity for state in view.basket.lines if state.product})
    if view.basket.blocking:
        problems = [problem.as_dict() for problem in view.basket.blocking]
        raise DomainError(409, "BASKET_NOT_READY", "The basket cannot be ordered as it is.", problems=problems)
    checkouts.ensure_current(store, clock, rules, checkout, view)
    if view.delivery is None:  # the option no longer carries this basket there (its weight changed)
        raise DomainError(409, "DELIVERY_OPTION_NOT_AVAILABLE",
                          f"{checkout.delivery_option} cannot deliver this order there any more; choose another delivery option.")
    priced = view.basket.priced
    take_stock(store, clock, {line.product.id: line.quantity for line in priced.lines})
    record_usage(store, [applied.promotion.id for applied in priced.promotions], checkout.customer_id)
    order = _order(store, clock, checkout, view, body.get("comment"))
    store.put(ORDER, order)
    track_due(store, timings, None, order)
    events.publish(store, clock, "order.created", order.id, order)
    baskets.empty(store, clock, view.basket.basket)
    checkouts.complete(store, clock, checkout.id, order.id)
    return order


def _order(store: Store, clock: Clock, checkout: Checkout, view: checkouts.CheckoutView, comment: str | None) -> Order:
    """The order as the checkout shows it now: lines, prices and totals are snapshots."""
    priced, totals, quote = view.basket.priced, view.totals, view.delivery
    payment_type = options.payment_type(checkout.payment_type)
    status = OrderStatus.AWAITING_PAYMENT if payment_type.flow == PaymentFlow.BANK_TRANSFER else OrderStatus.PLACED
    now = clock.now()
    return Order(
        id=store.new_id("ord"), number=next_number(store), owner_id=checkout.owner_id, customer_id=checkout.customer_id,
        email=checkout.email, checkout_id=checkout.id,
        lines=tuple(
            OrderLine(
                line.product.id, line.product.sku, line.product.name, line.quantity, line.unit_price, line.subtotal,
                line.discount, line.total, line.product.tax_rate, tuple(sorted(line.discounts.items())),
            )
            for line in priced.lines
        ),
        promotions=tuple((a.promotion.id, a.promotion.name, a.amount) for a in priced.promotions),
        coupons=tuple(c.code for c in priced.coupons if c.state == CouponState.APPLIED),
        subtotal=totals.subtotal, discount=totals.discount, shipping=totals.shipping, payment_fee=totals.payment_fee,
        tax=totals.tax, total=totals.total, taxes=tuple((t.rate, t.gross, t.tax) for t in totals.taxes),
        shipping_address=checkout.shipping_address, billing_address=checkout.billing_address,
        delivery=OrderDelivery(quote.option.id, quote.option.name, quote.option.carrier, quote.price, quote.earliest, quote.latest),
        payment=OrderPayment(
            payment_type.id, payment_type.flow, OrderPaymentState(checkout.payment.state), totals.total, checkout.payment.brand, checkout.payment.last4,
        ),
        status=status, history=(StatusChange(status, now),), auto_progress=True,
        cancel_reason=None, created_at=now, updated_at=now, comment=comment,
    )

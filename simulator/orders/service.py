"""Orders: placing one from a checkout, its lifecycle on the simulator clock, cancelling.

Lifecycle: `placed → paid → processing → shipped → delivered`, each step after a
configurable time. A bank transfer waits in `awaiting_payment` until the money
arrives (`/_sim/orders/{id}/payment-received`) or its time runs out (cancelled);
cash on delivery goes `placed → processing → shipped → delivered` and is paid on
delivery. An order catches up to where the clock says it is whenever it is read, and
the server sweeps the live orders in the background (`lifecycle_tick`, every second,
so their status events go out when due); each step is stamped at the time it was due,
so advancing the clock by a day moves orders along as a day would.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta

from simulator import versioned
from simulator.basket.promotions import PROMOTION_USAGE, PromotionUsage
from simulator.catalog import service as catalog
from simulator.catalog.model import PRODUCT
from simulator.clock import Clock
from simulator.errors import DomainError
from simulator.offload import cooperative_yield
from simulator.sim import events, outbox
from simulator.store import Store
from simulator.sweeps import Sweep

from .model import (
    AWAITING_PAYMENT,
    CANCELLABLE,
    CANCELLED,
    DELIVERED,
    ORDER,
    PAID,
    PLACED,
    PROCESSING,
    SHIPPED,
    Order,
    StatusChange,
)

NUMBER_SEQ = "orders.number"
FIRST_NUMBER = 100_001
#: The lifecycle sweep examines 100 orders a step (a few ms at most, when every one of
#: them moves and publishes) and takes at most 50 steps a tick, pausing for requests
#: between two: 5,000 orders a second, so a pass over 100,000 orders takes 20 seconds.
LIFECYCLE_SWEEP = Sweep(ORDER, "orders.lifecycle", batch=100)
LIFECYCLE_STEPS_PER_TICK = 50


@dataclass(frozen=True)
class OrderTimings:
    """Seconds (simulated) from one status to the next."""

    to_paid: int = 60
    to_processing: int = 30 * 60
    to_shipped: int = 24 * 3600
    to_delivered: int = 2 * 24 * 3600
    awaiting_payment_timeout: int = 7 * 24 * 3600

    @classmethod
    def from_settings(cls, settings) -> "OrderTimings":
        return cls(
            settings.order_seconds_to_paid, settings.order_seconds_to_processing, settings.order_seconds_to_shipped,
            settings.order_seconds_to_delivered, settings.bank_transfer_timeout_seconds,
        )


def next_number(store: Store) -> str:
    with store.atomic():
        meta = store.meta()
        number = meta.get(NUMBER_SEQ, FIRST_NUMBER)
        meta[NUMBER_SEQ] = number + 1
    return f"AS-{number}"


def not_found() -> DomainError:
    return DomainError(404, "ORDER_NOT_FOUND", "There is no such order for this caller.")


# -- stock and usage, shared by placing and cancelling ---------------------------------------
def ensure_stock(store: Store, quantities: dict[str, int]) -> None:
    """409 INSUFFICIENT_STOCK naming every product that cannot be had in that quantity."""
    short = []
    for product_id, quantity in quantities.items():
        product = store.get(PRODUCT, product_id)
        available = product.stock if product else 0
        if quantity > available:
            short.append({"product_id": product_id, "requested": quantity, "available": available})
    if short:
        raise DomainError(409, "INSUFFICIENT_STOCK", "Some products sold out meanwhile; the basket shows what is left.", lines=short)


def take_stock(store: Store, clock: Clock, quantities: dict[str, int]) -> None:
    """Decrement stock for every product, all or none (the caller holds the store lock)."""
    ensure_stock(store, quantities)
    for product_id, quantity in quantities.items():
        product = store.get(PRODUCT, product_id)
        catalog.update_product(store, clock, product_id, {"stock": product.stock - quantity})


def return_stock(store: Store, clock: Clock, order: Order) -> None:
    """Put an order's units back on the shelf (products deleted since are skipped)."""
    for line in order.lines:
        product = store.get(PRODUCT, line.product_id)
        if product is not None:
            catalog.update_product(store, clock, line.product_id, {"stock": product.stock + line.quantity})


def record_usage(store: Store, promotion_ids: list[str], customer_id: str | None) -> None:
    for promotion_id in promotion_ids:
        usage = store.get(PROMOTION_USAGE, promotion_id) or PromotionUsage(promotion_id)
        by_customer = dict(usage.by_customer)
        if customer_id:
            by_customer[customer_id] = by_customer.get(customer_id, 0) + 1
        store.put(PROMOTION_USAGE, dataclasses.replace(usage, total=usage.total + 1, by_customer=tuple(sorted(by_customer.items())), version=usage.version + 1))


# -- lifecycle -------------------------------------------------------------------------------
def _next_step(order: Order, timings: OrderTimings) -> tuple[str, int, str | None] | None:
    """(next status, seconds after the current one, note), or None when it waits for something."""
    flow = order.payment.flow
    if order.status == AWAITING_PAYMENT:
        return CANCELLED, timings.awaiting_payment_timeout, "no payment received in time"
    if order.status == PLACED:
        return (PROCESSING, timings.to_processing, None) if flow == "on_delivery" else (PAID, timings.to_paid, "payment captured")
    return {
        PAID: (PROCESSING, timings.to_processing, None),
        PROCESSING: (SHIPPED, timings.to_shipped, None),
        SHIPPED: (DELIVERED, timings.to_delivered, "paid to the courier" if flow == "on_delivery" else None),
    }.get(order.status)


def _moved(order: Order, status: str, at: datetime, note: str | None) -> Order:
    payment = order.payment
    if status == PAID or (status == DELIVERED and payment.flow == "on_delivery"):
        payment = dataclasses.replace(payment, state="captured")
    return dataclasses.replace(order, status=status, history=order.history + (StatusChange(status, at, note),), payment=payment)


def catch_up(store: Store, clock: Clock, timings: OrderTimings, order_id: str) -> Order:
    """Move an order along to where the clock says it is now."""
    with store.atomic():
        order = store.get(ORDER, order_id)
        if order is None:
            raise not_found()
        now = clock.now()
        current = order
        while current.auto_progress:
            step = _next_step(current, timings)
            if step is None:
                break
            status, delay, note = step
            due = current.history[-1].at + timedelta(seconds=delay)
            if due > now:
                break
            if status == CANCELLED:
                return_stock(store, clock, current)
                current = dataclasses.replace(_moved(current, CANCELLED, due, note), cancel_reason=note)
            else:
                current = _moved(current, status, due, note)
        if current is not order:
            current = dataclasses.replace(current, updated_at=now, version=order.version + 1)
            store.put(ORDER, current)
            for change in current.history[len(order.history):]:
                events.publish(store, clock, "order.cancelled" if change.status == CANCELLED else "order.status_changed", current.id, current)
        return current


def lifecycle_tick(store: Store, clock: Clock, timings: OrderTimings) -> int:
    """Move live orders along, a bounded part of the sweep over all orders (the server
    ticks every second, so status events go out when due, whether or not anyone reads
    the order); returns how many moved."""
    moved = 0

    def visit(order: Order) -> None:
        nonlocal moved
        if order.auto_progress and order.status not in (DELIVERED, CANCELLED):
            moved += catch_up(store, clock, timings, order.id) is not order

    for step in range(LIFECYCLE_STEPS_PER_TICK):
        if step:
            cooperative_yield()
        if LIFECYCLE_SWEEP.step(store, clock.timestamp(), visit):
            break
    return moved


# -- reading ------------------------------------------------------------------------------
def get_order(store: Store, clock: Clock, timings: OrderTimings, owner_id: str, order_id: str) -> Order:
    order = store.get(ORDER, order_id)
    if order is None or order.owner_id != owner_id:
        raise not_found()
    return catch_up(store, clock, timings, order_id)


def list_orders(store: Store, clock: Clock, timings: OrderTimings, owner_id: str, status: str | None, page: int, page_size: int) -> tuple[list[Order], int]:
    """The caller's orders, newest first, optionally of one status."""
    orders = [catch_up(store, clock, timings, order.id) for order in store.by_owner(ORDER, owner_id)]
    if status:
        orders = [order for order in orders if order.status == status]
    orders.sort(key=lambda order: (order.created_at, order.number), reverse=True)
    start = (page - 1) * page_size
    return orders[start : start + page_size], len(orders)


# -- changing -------------------------------------------------------------------------------
def cancel(store: Store, clock: Clock, timings: OrderTimings, owner_id: str, order_id: str, reason: str, expected_version: int | None = None) -> Order:
    """Cancel while awaiting payment, placed, paid or processing: stock returns, a paid
    order records a refund, a mail goes out; otherwise 409 ORDER_NOT_CANCELLABLE."""
    get_order(store, clock, timings, owner_id, order_id)
    now = clock.now()

    def edit(order: Order) -> Order:
        if order.status not in CANCELLABLE:
            raise DomainError(409, "ORDER_NOT_CANCELLABLE", f"Order {order.number} is {order.status} and can no longer be cancelled.", order_status=order.status)
        payment = order.payment
        if payment.state == "captured":
            payment = dataclasses.replace(payment, state="refunded", refunded=order.total)
        elif payment.state in ("authorized", "pending"):
            payment = dataclasses.replace(payment, state="voided")
        return_stock(store, clock, order)
        cancelled = _moved(order, CANCELLED, now, reason)
        return dataclasses.replace(cancelled, payment=payment, cancel_reason=reason)

    with store.atomic():
        order = versioned.change(
            store, ORDER, order_id, edit, now=now, expected_version=expected_version, missing=not_found, label="order",
        )
        events.publish(store, clock, "order.cancelled", order.id, order)
    refund = f" {order.payment.refunded:.2f} will be refunded to your {order.payment.type_id.replace('_', ' ')}." if order.payment.refunded else ""
    outbox.send(
        store, clock, recipient=order.email, template="order_cancelled",
        subject=f"Order {order.number} cancelled",
        text=f"Your order {order.number} was cancelled: {reason}.{refund}",
    )
    return order


def mark_paid(store: Store, clock: Clock, timings: OrderTimings, order_id: str) -> Order:
    """A bank transfer arrived (a simulator control): awaiting_payment → paid."""
    order = catch_up(store, clock, timings, order_id)
    if order.status != AWAITING_PAYMENT:
        raise DomainError(409, "ORDER_NOT_AWAITING_PAYMENT", f"Order {order.number} is {order.status}.")
    now = clock.now()
    with store.atomic():
        paid = versioned.change(
            store, ORDER, order_id, lambda current: _moved(current, PAID, now, "bank transfer received"),
            now=now, expected_version=None, missing=not_found, label="order",
        )
        events.publish(store, clock, "order.status_changed", paid.id, paid)
    return paid


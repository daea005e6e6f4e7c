"""Orders: their lifecycle on the simulator clock, reading them, cancelling, numbering.

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
from functools import partial

from simulator import versioned
from simulator.catalog import stock
from simulator.checkout.options import PaymentFlow
from simulator.clock import Clock
from simulator.errors import DomainError
from simulator.mail import outbox
from simulator.offload import cooperative_yield
from simulator.promotions.usage import return_usage
from simulator.store import Store
from simulator.time_index import TimeIndex
from simulator.webhooks import events

from .model import (
    CANCELLABLE,
    ORDER,
    Order,
    OrderPaymentState,
    OrderStatus,
    StatusChange,
)

NUMBER_SEQ = "orders.number"
FIRST_NUMBER = 100_001
#: The lifecycle moves at most 100 due orders a round (a few ms at most, when every one of
#: them moves and publishes) and at most 50 rounds a tick, pausing for requests between
#: two: 5,000 orders a second; what is left waits for the next tick.
LIFECYCLE_BATCH = 100
LIFECYCLE_ROUNDS_PER_TICK = 50
DUE_SET = "orders.due"


@dataclass(frozen=True)
class OrderTimings:
    """Seconds (simulated) from one status to the next."""

    to_paid: int = 60
    to_processing: int = 30 * 60
    to_shipped: int = 24 * 3600
    to_delivered: int = 2 * 24 * 3600
    awaiting_payment_timeout: int = 7 * 24 * 3600

    @classmethod
    def from_settings(cls, settings) -> OrderTimings:
        return cls(
            settings.order_seconds_to_paid, settings.order_seconds_to_processing, settings.order_seconds_to_shipped,
            settings.order_seconds_to_delivered, settings.bank_transfer_timeout_seconds,
        )


NUMBER_PREFIX = "AS-"


def next_number(store: Store) -> str:
    return f"{NUMBER_PREFIX}{FIRST_NUMBER - 1 + store.next_seq(NUMBER_SEQ)}"


def not_found() -> DomainError:
    return DomainError(404, "ORDER_NOT_FOUND", "There is no such order for this caller.")


# -- what a cancelled order gives back: stock (catalog's) and promotion uses (promotions') ------
def return_stock(store: Store, clock: Clock, order: Order) -> None:
    """Put an order's units back on the shelf."""
    quantities: dict[str, int] = {}
    for line in order.lines:
        quantities[line.product_id] = quantities.get(line.product_id, 0) + line.quantity
    stock.return_stock(store, clock, quantities)


def _give_back(store: Store, clock: Clock, order: Order) -> None:
    """A cancelled order's units go back on the shelf and its promotion uses are returned,
    so a limited coupon is not used up by orders that never happened."""
    return_stock(store, clock, order)
    return_usage(store, [promotion_id for promotion_id, _, _ in order.promotions], order.customer_id)


# -- lifecycle -------------------------------------------------------------------------------
def _next_step(order: Order, timings: OrderTimings) -> tuple[OrderStatus, int, str | None] | None:
    """(next status, seconds after the current one, note), or None when it waits for something."""
    flow = order.payment.flow
    if order.status == OrderStatus.AWAITING_PAYMENT:
        return OrderStatus.CANCELLED, timings.awaiting_payment_timeout, "no payment received in time"
    if order.status == OrderStatus.PLACED:
        if flow == PaymentFlow.ON_DELIVERY:
            return OrderStatus.PROCESSING, timings.to_processing, None
        return OrderStatus.PAID, timings.to_paid, "payment captured"
    return {
        OrderStatus.PAID: (OrderStatus.PROCESSING, timings.to_processing, None),
        OrderStatus.PROCESSING: (OrderStatus.SHIPPED, timings.to_shipped, None),
        OrderStatus.SHIPPED: (
            OrderStatus.DELIVERED, timings.to_delivered, "paid to the courier" if flow == PaymentFlow.ON_DELIVERY else None,
        ),
    }.get(order.status)


def next_due(order: Order, timings: OrderTimings) -> float | None:
    """When the order's next status is due (a timestamp), or None when the clock brings it
    none: it is delivered or cancelled, or seeded history (`auto_progress=False`)."""
    move = _next_move(order, timings)
    return None if move is None else move[1].timestamp()


def _next_move(order: Order, timings: OrderTimings) -> tuple[OrderStatus, datetime, str | None] | None:
    """(next status, when it is due, note), or None when the clock brings the order none."""
    step = _next_step(order, timings) if order.auto_progress else None
    return None if step is None else (step[0], order.history[-1].at + timedelta(seconds=step[1]), step[2])


def due_index(timings: OrderTimings) -> TimeIndex:
    """Live orders by `next_due`: an order enters when placed, moves with each status, and
    leaves in its final state."""
    return TimeIndex(ORDER, DUE_SET, lambda order: next_due(order, timings), batch=LIFECYCLE_BATCH)


def track_due(store: Store, timings: OrderTimings, before: Order | None, after: Order) -> None:
    """Keep the due index in step with an order written (`before`: None when it is new); as a
    change's `also`, the index moves with the order in the same write."""
    due_index(timings).replaced(store, before, after)


def _moved(order: Order, status: OrderStatus, at: datetime, note: str | None) -> Order:
    payment = order.payment
    if status == OrderStatus.PAID or (status == OrderStatus.DELIVERED and payment.flow == PaymentFlow.ON_DELIVERY):
        payment = dataclasses.replace(payment, state=OrderPaymentState.CAPTURED)
    return dataclasses.replace(order, status=status, history=order.history + (StatusChange(status, at, note),), payment=payment)


def _cancelled(order: Order, at: datetime, reason: str) -> Order:
    """The order cancelled at `at`, however that came: money taken is refunded, money not
    yet taken (authorized, or pending a transfer or the courier) is voided."""
    payment = order.payment
    if payment.state == OrderPaymentState.CAPTURED:
        payment = dataclasses.replace(payment, state=OrderPaymentState.REFUNDED, refunded=order.total)
    elif payment.state in (OrderPaymentState.AUTHORIZED, OrderPaymentState.PENDING):
        payment = dataclasses.replace(payment, state=OrderPaymentState.VOIDED)
    return dataclasses.replace(_moved(order, OrderStatus.CANCELLED, at, reason), payment=payment, cancel_reason=reason)


def catch_up(store: Store, clock: Clock, timings: OrderTimings, order_id: str) -> Order:
    """Move an order along to where the clock says it is now."""
    order = store.get(ORDER, order_id)
    if order is None:
        raise not_found()
    return _caught_up(store, clock, timings, order)


def _caught_up(store: Store, clock: Clock, timings: OrderTimings, order: Order) -> Order:
    """`order` (as just read) moved along to where the clock says it is now. Only a move takes
    the lock (reading it again there): most reads find nothing due."""
    move = _next_move(order, timings)
    if move is None or move[1] > clock.now():
        return order
    with store.atomic():
        order = store.get(ORDER, order.id)
        if order is None:
            raise not_found()
        return _advance(store, clock, timings, order)


def _advance(store: Store, clock: Clock, timings: OrderTimings, order: Order) -> Order:
    """The order moved along to where the clock says it is now (the caller holds the lock)."""
    now = clock.now()
    current = order
    while (move := _next_move(current, timings)) is not None and move[1] <= now:
        status, due, note = move
        if status == OrderStatus.CANCELLED:
            _give_back(store, clock, current)
            current = _cancelled(current, due, note)
        else:
            current = _moved(current, status, due, note)
    if current is not order:
        current = dataclasses.replace(current, updated_at=now, version=order.version + 1)
        store.put(ORDER, current)
        track_due(store, timings, order, current)
        for change in current.history[len(order.history):]:
            event = "order.cancelled" if change.status == OrderStatus.CANCELLED else "order.status_changed"
            events.publish(store, clock, event, current.id, current)
    return current


def catch_up_all(store: Store, clock: Clock, timings: OrderTimings) -> int:
    """Every due order moved now, in batches with a pause between them (the clock controls
    call it, so that their answer already shows what they made due); returns how many."""
    return _move_due(store, clock, timings, rounds=None)


def lifecycle_tick(store: Store, clock: Clock, timings: OrderTimings) -> int:
    """Move due orders along, at most LIFECYCLE_ROUNDS_PER_TICK batches (the server ticks
    every second, so status events go out when due, whether or not anyone reads the
    order); returns how many moved."""
    return _move_due(store, clock, timings, rounds=LIFECYCLE_ROUNDS_PER_TICK)


def _move_due(store: Store, clock: Clock, timings: OrderTimings, rounds: int | None) -> int:
    index = due_index(timings)
    return index.walk_due(store, clock.timestamp(), lambda order: _advance(store, clock, timings, order), cooperative_yield, rounds)


# -- reading ------------------------------------------------------------------------------
def get_order(store: Store, clock: Clock, timings: OrderTimings, owner_id: str, order_id: str) -> Order:
    """The caller's order by its id or by its number (`AS-100042`, as mails and receipts show it)."""
    order = store.get(ORDER, order_id)
    if order is None and order_id.startswith(NUMBER_PREFIX):
        order = next((mine for mine in store.by_owner(ORDER, owner_id) if mine.number == order_id), None)
    if order is None or order.owner_id != owner_id:
        raise not_found()
    return _caught_up(store, clock, timings, order)


def list_orders(store: Store, clock: Clock, timings: OrderTimings, owner_id: str, status: str | None, page: int, page_size: int) -> tuple[list[Order], int]:
    """The caller's orders, newest first, optionally of one status."""
    orders = [_caught_up(store, clock, timings, order) for order in store.by_owner(ORDER, owner_id)]
    if status:
        orders = [order for order in orders if order.status == status]
    orders.sort(key=_creation_order, reverse=True)
    start = (page - 1) * page_size
    return orders[start : start + page_size], len(orders)


def list_all_orders(store: Store, clock: Clock, timings: OrderTimings, status: str | None, page: int, page_size: int) -> tuple[list[Order], int]:
    """Every caller's orders (a simulator control), newest first, optionally of one status.

    Without a status only the page is caught up: the creation order does not move with the
    clock, so a console polling the latest orders does not walk all of them every time."""
    orders = sorted(store.values(ORDER), key=_creation_order, reverse=True)
    start = (page - 1) * page_size
    if status:
        orders = [order for order in (_caught_up(store, clock, timings, order) for order in orders) if order.status == status]
        return orders[start : start + page_size], len(orders)
    return [_caught_up(store, clock, timings, order) for order in orders[start : start + page_size]], len(orders)


def _creation_order(order: Order) -> tuple[datetime, str]:
    """The order in which orders were placed: by time, then number (the clock may be frozen)."""
    return order.created_at, order.number


# -- changing -------------------------------------------------------------------------------
def cancel(store: Store, clock: Clock, timings: OrderTimings, owner_id: str, order_id: str, reason: str, expected_version: int | None = None) -> Order:
    """Cancel while awaiting payment, placed, paid or processing: stock returns, a paid
    order records a refund, a mail goes out; otherwise 409 ORDER_NOT_CANCELLABLE."""
    order_id = get_order(store, clock, timings, owner_id, order_id).id  # it may have been named by its number
    now = clock.now()

    def edit(order: Order) -> Order:
        if order.status not in CANCELLABLE:
            raise DomainError(409, "ORDER_NOT_CANCELLABLE", f"Order {order.number} is {order.status} and can no longer be cancelled.", order_status=order.status)
        _give_back(store, clock, order)
        return _cancelled(order, now, reason)

    with store.atomic():
        order = versioned.change(
            store, ORDER, order_id, edit, now=now, expected_version=expected_version, missing=not_found, label="order",
            also=partial(track_due, store, timings),
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
    catch_up(store, clock, timings, order_id)
    now = clock.now()

    def pay(current: Order) -> Order:  # checked under the lock: a cancel meanwhile wins
        if current.status != OrderStatus.AWAITING_PAYMENT:
            raise DomainError(409, "ORDER_NOT_AWAITING_PAYMENT", f"Order {current.number} is {current.status}.")
        return _moved(current, OrderStatus.PAID, now, "bank transfer received")

    with store.atomic():
        paid = versioned.change(store, ORDER, order_id, pay, now=now, expected_version=None, missing=not_found, label="order",
                                also=partial(track_due, store, timings))
        events.publish(store, clock, "order.status_changed", paid.id, paid)
    return paid


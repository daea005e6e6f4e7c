"""Seeded order history: a few past orders per seeded customer, in every status.

Priced by the same engine as live orders (no promotions), shipped with the standard
option, dated before SEED_EPOCH so one seed always gives the same history. Seeded
orders keep their status (`auto_progress=False`): a demo shows every status, however
far the clock moves. Stock is not touched: these orders are history.
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from simulator import offload
from simulator.basket.pricing import LineInput, PricingContext, price_basket, tax_line
from simulator.catalog.model import PRODUCT
from simulator.checkout.options import DELIVERY_OPTIONS, PaymentFlow, add_working_days
from simulator.checkout.service import ADDRESS_KEYS, SERVICE_TAX_RATE
from simulator.customers.model import ADDRESS, CUSTOMER
from simulator.orders.model import (
    ORDER,
    Order,
    OrderDelivery,
    OrderLine,
    OrderPayment,
    OrderPaymentState,
    OrderStatus,
    StatusChange,
)
from simulator.orders.service import next_number
from simulator.store import Store, encode_id

from .catalog import SEED_EPOCH

#: A card order's course; a seeded order went along it up to its status, or was
#: cancelled once paid.
COURSE = (OrderStatus.PLACED, OrderStatus.PAID, OrderStatus.PROCESSING, OrderStatus.SHIPPED, OrderStatus.DELIVERED)
PATHS = {
    **{status: COURSE[: index + 1] for index, status in enumerate(COURSE)},
    OrderStatus.CANCELLED: (OrderStatus.PLACED, OrderStatus.PAID, OrderStatus.CANCELLED),
}
#: Most past orders are delivered, as in a real shop; every status appears.
STATUS_WEIGHTS = (
    (OrderStatus.DELIVERED, 60), (OrderStatus.SHIPPED, 10), (OrderStatus.PROCESSING, 8),
    (OrderStatus.PAID, 7), (OrderStatus.PLACED, 5), (OrderStatus.CANCELLED, 10),
)
STANDARD = next(option for option in DELIVERY_OPTIONS if option.id == "dhl-standard")


#: Past orders per customer: every one has some, most a few.
ORDER_COUNTS = (1, 1, 2, 2, 3, 4)
#: Customers given their orders between two pauses for other requests (a reset seeds while serving).
CUSTOMERS_PER_PAUSE = 32


def seed_orders(store: Store, customers_with_history: int) -> int:
    """Give up to that many seeded customers 1–4 past orders each; returns how many were made."""
    rng = random.Random(f"{store.seed}:orders")
    product_ids = store.ids_after(PRODUCT, None, store.count(PRODUCT))  # not the records: a million are a second to gather
    if not product_ids:
        return 0
    statuses, weights = zip(*STATUS_WEIGHTS)
    made = []
    for customer in offload.cooperatively(store.values(CUSTOMER)[:customers_with_history], CUSTOMERS_PER_PAUSE):
        addresses = store.by_owner(ADDRESS, customer.id)
        if not addresses:
            continue
        for _ in range(rng.choice(ORDER_COUNTS)):
            made.append(_order(store, rng, customer, addresses[0], product_ids, rng.choices(statuses, weights)[0]))
    store.load(ORDER, made)
    return len(made)


def _order(store, rng, customer, address, product_ids, status) -> Order:
    picked = store.get_many(PRODUCT, rng.sample(product_ids, rng.randint(1, 4)))
    inputs = [LineInput(encode_id("itm", rng.getrandbits(60)), p, rng.randint(1, 3)) for p in picked]
    placed_at = SEED_EPOCH - timedelta(days=rng.randint(3, 400), seconds=rng.randint(0, 86_399))
    priced = price_basket(inputs, (), PricingContext(now=placed_at))
    shipping = STANDARD.rates["domestic"].bands[0][1] if address.country == "DE" else Decimal("9.90")
    gross = {t.rate: t.gross for t in priced.taxes}
    gross[SERVICE_TAX_RATE] = gross.get(SERVICE_TAX_RATE, Decimal(0)) + shipping
    taxes = tuple((t.rate, t.gross, t.tax) for t in (tax_line(rate, amount) for rate, amount in sorted(gross.items())))
    total = priced.total + shipping
    path = PATHS[status]
    history = tuple(StatusChange(s, placed_at + timedelta(hours=30 * i), None) for i, s in enumerate(path))
    snapshot = {key: getattr(address, key) for key in ADDRESS_KEYS}
    payment_state = (
        OrderPaymentState.REFUNDED if status == OrderStatus.CANCELLED
        else OrderPaymentState.CAPTURED if status != OrderStatus.PLACED
        else OrderPaymentState.AUTHORIZED
    )
    return Order(
        id=encode_id("ord", rng.getrandbits(60)), number=next_number(store), owner_id=customer.id, customer_id=customer.id,
        email=customer.email, checkout_id=None,
        lines=tuple(
            OrderLine(ln.product.id, ln.product.sku, ln.product.name, ln.quantity, ln.unit_price, ln.subtotal, ln.discount,
                      ln.total, ln.product.tax_rate, ())
            for ln in priced.lines
        ),
        promotions=(), coupons=(), subtotal=priced.subtotal, discount=priced.discount, shipping=shipping,
        payment_fee=Decimal("0.00"), tax=sum((t[2] for t in taxes), Decimal(0)), total=total, taxes=taxes,
        shipping_address=snapshot, billing_address=snapshot,
        delivery=OrderDelivery(STANDARD.id, STANDARD.name, STANDARD.carrier, shipping,
                               add_working_days(placed_at.date(), 1), add_working_days(placed_at.date(), 3)),
        payment=OrderPayment("card", PaymentFlow.CARD, payment_state, total, "visa", f"{rng.randint(0, 9999):04d}",
                             total if status == OrderStatus.CANCELLED else None),
        status=status, history=history, auto_progress=False,
        cancel_reason="changed my mind" if status == OrderStatus.CANCELLED else None,
        created_at=placed_at, updated_at=history[-1].at,
    )

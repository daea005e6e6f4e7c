"""Wire form of an order."""

from __future__ import annotations

from simulator.checkout.serialize import taxes_to_dict, totals_to_dict
from simulator.clock import rfc3339
from simulator.money import money

from .model import Order


def order_to_dict(order: Order, currency: str) -> dict:
    return {
        "id": order.id,
        "number": order.number,
        "status": order.status,
        "version": order.version,
        "customer_id": order.customer_id,
        "email": order.email,
        "lines": [
            {
                "product_id": line.product_id, "sku": line.sku, "name": line.name, "quantity": line.quantity,
                "unit_price": money(line.unit_price, currency), "subtotal": money(line.subtotal, currency),
                "discount": money(line.discount, currency), "total": money(line.total, currency),
                "tax_rate": str(line.tax_rate),
                "discounts": [{"promotion_id": pid, "amount": money(amount, currency)} for pid, amount in line.discounts],
            }
            for line in order.lines
        ],
        "promotions": [{"id": pid, "name": name, "amount": money(amount, currency)} for pid, name, amount in order.promotions],
        "coupons": list(order.coupons),
        "totals": totals_to_dict(order, currency),
        "taxes": taxes_to_dict(order.taxes, currency),
        "shipping_address": order.shipping_address,
        "billing_address": order.billing_address,
        "delivery_option": {  # named and shaped as the checkout's, which it was
            "id": order.delivery.option_id, "name": order.delivery.name, "carrier": order.delivery.carrier,
            "price": money(order.delivery.price, currency),
            "estimated_delivery": {"earliest": order.delivery.earliest.isoformat(), "latest": order.delivery.latest.isoformat()},
        },
        "payment": {
            "type": order.payment.type_id, "state": order.payment.state, "amount": money(order.payment.amount, currency),
            "brand": order.payment.brand, "last4": order.payment.last4,
            "refunded": money(order.payment.refunded, currency) if order.payment.refunded is not None else None,
        },
        "comment": order.comment,
        "status_history": [{"status": c.status, "at": rfc3339(c.at), "note": c.note} for c in order.history],
        "cancel_reason": order.cancel_reason,
        "created_at": rfc3339(order.created_at),
        "updated_at": rfc3339(order.updated_at),
    }

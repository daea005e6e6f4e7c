"""Wire form of a promotion rule."""

from __future__ import annotations

from simulator.clock import rfc3339
from simulator.money import money

from .rules import Promotion


def promotion_to_dict(promotion: Promotion, currency: str, *, reveal_code: bool) -> dict:
    """A promotion as /_sim/promotions shows it (reveal_code) or as shoppers see it."""
    def amount(value):
        return money(value, currency) if value is not None else None

    shown = {
        "id": promotion.id,
        "name": promotion.name,
        "kind": promotion.kind,
        "description": promotion.description,
        "coupon_required": promotion.coupon_code is not None,
        "starts_at": rfc3339(promotion.starts_at) if promotion.starts_at else None,
        "ends_at": rfc3339(promotion.ends_at) if promotion.ends_at else None,
        "min_subtotal": amount(promotion.min_subtotal),
        "customer_only": promotion.customer_only,
        "first_order_only": promotion.first_order_only,
    }
    if reveal_code:
        shown.update({
            "coupon_code": promotion.coupon_code,
            "priority": promotion.priority,
            "position": promotion.position,
            "exclusive": promotion.exclusive,
            "min_quantity": promotion.min_quantity,
            "category_ids": list(promotion.category_ids),
            "brands": list(promotion.brands),
            "product_ids": list(promotion.product_ids),
            "usage_limit": promotion.usage_limit,
            "per_customer_limit": promotion.per_customer_limit,
            "percent": str(promotion.percent) if promotion.percent is not None else None,
            "amount": amount(promotion.amount),
            "buy_quantity": promotion.buy_quantity,
            "get_quantity": promotion.get_quantity,
            "tiers": [{"threshold": money(t, currency), "amount": money(a, currency)} for t, a in promotion.tiers],
            "bundle_price": amount(promotion.bundle_price),
            "version": promotion.version,
        })
    return shown

"""Wire form of a basket: the whole basket, priced, on every answer."""

from __future__ import annotations

from simulator.catalog.serialize import image_urls
from simulator.clock import rfc3339
from simulator.money import ZERO, money

from .pricing import PricedBasket
from .service import BasketView, item_count


def basket_to_dict(view: BasketView, currency: str, base_url: str) -> dict:
    priced: PricedBasket = view.priced
    priced_lines = {line.line_id: line for line in priced.lines}
    lines = []
    for state in view.lines:
        line, product = state.line, state.product
        priced_line = priced_lines.get(line.id)
        unit = priced_line.unit_price if priced_line else (product.price if product else None)
        lines.append({
            "id": line.id,
            "product_id": line.product_id,
            "product": {
                "name": product.name if product else line.name,
                "sku": line.sku,
                "brand": product.brand if product else None,
                "image": (image_urls(product, base_url) or [None])[0] if product else None,
                "stock": product.stock if product else 0,
            },
            "quantity": line.quantity,
            "status": state.status,
            "unit_price": money(unit, currency) if unit is not None else None,
            "previous_unit_price": money(state.previous_unit_price, currency) if state.previous_unit_price is not None else None,
            "subtotal": money(priced_line.subtotal if priced_line else ZERO, currency),
            "discounts": [
                {"promotion_id": promotion_id, "amount": money(amount, currency)}
                for promotion_id, amount in (priced_line.discounts.items() if priced_line else ())
            ],
            "discount": money(priced_line.discount if priced_line else ZERO, currency),
            "total": money(priced_line.total if priced_line else ZERO, currency),
            "tax_rate": str(product.tax_rate) if product else None,
        })
    return {
        "id": view.basket.id,
        "customer_id": view.basket.customer_id,
        "version": view.basket.version,
        "lines": lines,
        "item_count": item_count(view.basket),
        "promotions": [
            {
                "id": applied.promotion.id,
                "name": applied.promotion.name,
                "kind": applied.promotion.kind,
                "coupon_code": applied.promotion.coupon_code,
                "amount": money(applied.amount, currency),
                "line_ids": list(applied.line_ids),
            }
            for applied in priced.promotions
        ],
        "coupons": [{"code": c.code, "state": c.state, "reason": c.reason} for c in priced.coupons],
        "free_shipping": priced.free_shipping,
        "totals": {
            "subtotal": money(priced.subtotal, currency),
            "discount": money(priced.discount, currency),
            "shipping": money(ZERO, currency),
            "tax": money(priced.tax, currency),
            "total": money(priced.total, currency),
        },
        "taxes": [{"rate": str(t.rate), "gross": money(t.gross, currency), "tax": money(t.tax, currency)} for t in priced.taxes],
        "checkout_blocked_by": [message.as_dict() for message in view.blocking],
        "messages": [message.as_dict() for message in view.messages],
        "created_at": rfc3339(view.basket.created_at),
        "updated_at": rfc3339(view.basket.updated_at),
    }

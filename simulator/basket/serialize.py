"""Wire form of a basket: the whole basket, priced, on every answer."""

from __future__ import annotations

from simulator.catalog.model import Product
from simulator.catalog.serialize import first_image_url
from simulator.clock import recent_rfc3339, rfc3339
from simulator.money import ZERO, money, money_of_cents

from .pricing import PricedBasket, cents
from .service import BasketView, item_count

#: product id → (the product, sku, base URL, currency, its wire parts on a line): what a line
#: says of its product is the same on every answer until the product changes, which makes a
#: new Product (records are immutable), so identity tells a kept entry from a stale one.
_product_parts: dict[str, tuple[Product, str, str, str, dict, str, dict]] = {}
#: Bounded like the catalog's RecentJson: a reset to another catalog (or products deleted)
#: would otherwise keep every product ever shown in a basket alive for the process's life.
_MAX_PRODUCT_PARTS = 20_000


def _product_on_line(product: Product, sku: str, base_url: str, currency: str) -> tuple[dict, str, dict]:
    """The line's `product` object, `tax_rate` text and `unit_price`. Shared by every answer
    that shows the product: they are serialised as they are, never changed."""
    kept = _product_parts.get(product.id)
    if kept is not None and kept[0] is product and kept[1] == sku and kept[2] == base_url and kept[3] == currency:
        return kept[4], kept[5], kept[6]
    wire = {
        "name": product.name,
        "sku": sku,
        "brand": product.brand,
        "image": first_image_url(product, base_url),
        "stock": product.stock,
    }
    tax_rate, unit = str(product.tax_rate), money_of_cents(cents(product.price), currency)  # as the engine prices it
    if len(_product_parts) >= _MAX_PRODUCT_PARTS and product.id not in _product_parts:
        _product_parts.pop(next(iter(_product_parts), None), None)  # the oldest entry
    _product_parts[product.id] = (product, sku, base_url, currency, wire, tax_rate, unit)
    return wire, tax_rate, unit


def basket_to_dict(view: BasketView, currency: str, base_url: str) -> dict:
    priced: PricedBasket = view.priced
    priced_lines = {line.line_id: line for line in priced.lines}
    lines = []
    for state in view.lines:
        line, product = state.line, state.product
        if product is not None:
            product_wire, tax_rate, unit = _product_on_line(product, line.sku, base_url, currency)
        else:
            product_wire = {"name": line.name, "sku": line.sku, "brand": None, "image": None, "stock": 0}
            tax_rate = unit = None
        priced_line = priced_lines.get(line.id)  # every line whose product is still sold has one
        if priced_line is not None:  # its money straight from the engine's cents: no Decimal on the way
            subtotal_cents, discount_cents = priced_line.subtotal_cents, priced_line.discount_cents
            amounts = (money_of_cents(subtotal_cents, currency), money_of_cents(discount_cents, currency),
                       money_of_cents(subtotal_cents - discount_cents, currency))
            discounts = [
                {"promotion_id": promotion_id, "amount": money_of_cents(amount, currency)}
                for promotion_id, amount in priced_line.discounts_cents.items()
            ]
        else:
            unit = money(product.price, currency) if product else None
            amounts, discounts = (money(ZERO, currency),) * 3, []
        lines.append({
            "id": line.id,
            "product_id": line.product_id,
            "product": product_wire,
            "quantity": line.quantity,
            "status": state.status,
            "unit_price": unit,
            "previous_unit_price": money(state.previous_unit_price, currency) if state.previous_unit_price is not None else None,
            "subtotal": amounts[0],
            "discounts": discounts,
            "discount": amounts[1],
            "total": amounts[2],
            "tax_rate": tax_rate,
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
                "amount": money_of_cents(applied.amount_cents, currency),
                "line_ids": list(applied.line_ids),
            }
            for applied in priced.promotions
        ],
        "coupons": [{"code": c.code, "state": c.state, "reason": c.reason} for c in priced.coupons],
        "free_shipping": priced.free_shipping,
        "totals": {
            "subtotal": money_of_cents(priced.subtotal_cents, currency),
            "discount": money_of_cents(priced.discount_cents, currency),
            "shipping": money(ZERO, currency),
            "tax": money_of_cents(priced.tax_cents, currency),
            "total": money_of_cents(priced.total_cents, currency),
        },
        "taxes": [
            {"rate": str(t.rate), "gross": money_of_cents(t.gross_cents, currency), "tax": money_of_cents(t.tax_cents, currency)}
            for t in priced.taxes
        ],
        "checkout_blocked_by": [message.as_dict() for message in view.blocking],
        "messages": [message.as_dict() for message in view.messages],
        "created_at": recent_rfc3339(view.basket.created_at),
        "updated_at": rfc3339(view.basket.updated_at),
    }

"""Promotion usage: how often placed orders used each promotion, in all and per customer
(what `usage_limit` and `per_customer_limit` count against). Placing an order records
its uses; cancelling it gives them back."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from simulator.store import Store

from .rules import PROMOTION_USAGE, PromotionUsage


def record_usage(store: Store, promotion_ids: Iterable[str], customer_id: str | None) -> None:
    """One more use of each promotion, by this customer when there is one (guests count in the total only)."""
    for promotion_id in promotion_ids:
        usage = store.get(PROMOTION_USAGE, promotion_id) or PromotionUsage(promotion_id)
        by_customer = dict(usage.by_customer)
        if customer_id:
            by_customer[customer_id] = by_customer.get(customer_id, 0) + 1
        store.put(PROMOTION_USAGE, dataclasses.replace(usage, total=usage.total + 1, by_customer=tuple(sorted(by_customer.items())),
                                                       version=usage.version + 1))


def return_usage(store: Store, promotion_ids: Iterable[str], customer_id: str | None) -> None:
    """Give back one use of each promotion (a cancelled order's); a count never goes below 0."""
    for promotion_id in promotion_ids:
        usage = store.get(PROMOTION_USAGE, promotion_id)
        if usage is None:
            continue
        by_customer = dict(usage.by_customer)
        if customer_id and by_customer.get(customer_id):
            by_customer[customer_id] -= 1
            if not by_customer[customer_id]:
                del by_customer[customer_id]
        store.put(PROMOTION_USAGE, dataclasses.replace(usage, total=max(0, usage.total - 1), by_customer=tuple(sorted(by_customer.items())),
                                                       version=usage.version + 1))

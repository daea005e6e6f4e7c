"""The reference browse: scan every product, filter, sort. Slow and plainly right; the
read model (`simulator/catalog/index.py`) must answer exactly the same, totals included.

The `q` rule, written out here on its own: a product's terms are the lower-cased words
(runs of letters, digits, `_`) of its name, brand and SKU; every word of the query
must be a term, except the last, which only has to begin one. No word: no text filter.
"""

from __future__ import annotations

import re

from simulator.catalog.model import CATEGORY, PRODUCT
from simulator.catalog.service import ProductQuery

WORD = re.compile(r"\w+")
SORTS = {
    "price": (lambda p: (p.price, p.id), False),
    "-price": (lambda p: (p.price, p.id), True),
    "name": (lambda p: (p.name.lower(), p.id), False),
    "-updated_at": (lambda p: (p.updated_at, p.id), True),
}


def descendants(store, category_id: str) -> set[str]:
    """The category and everything below it."""
    children: dict[str | None, list[str]] = {}
    for category in store.values(CATEGORY):
        children.setdefault(category.parent_id, []).append(category.id)
    found, stack = set(), [category_id]
    while stack:
        current = stack.pop()
        found.add(current)
        stack.extend(children.get(current, ()))
    return found


def text_matches(product, q: str) -> bool:
    wanted = WORD.findall(q.lower())
    if not wanted:
        return True
    terms = set(WORD.findall(f"{product.name} {product.brand} {product.sku}".lower()))
    *whole, last = wanted
    return all(word in terms for word in whole) and any(term.startswith(last) for term in terms)


def browse_by_scan(store, query: ProductQuery, page: int, page_size: int):
    checks = []
    if query.category is not None:
        wanted = descendants(store, query.category)
        checks.append(lambda p: not wanted.isdisjoint(p.category_ids))
    if query.min_price is not None:
        checks.append(lambda p: p.price >= query.min_price)
    if query.max_price is not None:
        checks.append(lambda p: p.price <= query.max_price)
    if query.in_stock is not None:
        checks.append(lambda p: (p.stock > 0) == query.in_stock)
    if query.q:
        checks.append(lambda p: text_matches(p, query.q))
    matching = [p for p in store.values(PRODUCT) if all(check(p) for check in checks)]  # in id order
    if query.sort is not None:
        key, reverse = SORTS[query.sort]
        matching.sort(key=key, reverse=reverse)
    start = (page - 1) * page_size
    return matching[start : start + page_size], len(matching)

"""Endpoint groups: the unit that latency, faults and stats are configured and counted by.

One table maps URL paths to groups, first match wins, a prefix matching whole path
segments. Paths in no group (`/_sim`, `/docs`, `/openapi.json`) are never delayed,
never faulted and not counted: the simulator's own controls always answer promptly.
"""

from __future__ import annotations

import re

#: (path prefix, group). Order matters: the first prefix that matches wins.
ROUTES: tuple[tuple[str, str], ...] = (
    ("/api/v1/catalog/export", "export"),
    ("/api/v1/catalog/changes", "changes"),
    ("/api/v1/products", "browse"),
    ("/api/v1/categories", "browse"),
    ("/api/v1/promotions", "browse"),
    ("/media", "media"),
    ("/api/v1/auth", "auth"),
    ("/api/v1/customers", "customers"),
    ("/api/v1/baskets", "basket"),
    ("/api/v1/basket", "basket"),
    ("/api/v1/checkout", "checkout"),
    ("/payments", "checkout"),  # the redirect payment page
    ("/api/v1/orders", "orders"),
    ("/api/v1/webhooks", "webhooks"),
    ("/api/v1", "other"),  # anything else under the webservices (unknown routes)
)

GROUPS: tuple[str, ...] = tuple(dict.fromkeys(group for _, group in ROUTES))

DESCRIPTIONS = {
    "browse": "GET /api/v1/products, /products/{id}, /categories, /promotions",
    "export": "GET /api/v1/catalog/export (pages and NDJSON)",
    "changes": "GET /api/v1/catalog/changes",
    "media": "GET /media/… (product images)",
    "auth": "/api/v1/auth/… (login, logout, password reset)",
    "customers": "/api/v1/customers… (registration, profile, addresses)",
    "basket": "/api/v1/baskets, /api/v1/basket…",
    "checkout": "/api/v1/checkout…",
    "orders": "/api/v1/orders…",
    "webhooks": "/api/v1/webhooks… (subscriptions, deliveries)",
    "other": "any other /api/v1 path (unknown routes)",
}


#: ROUTES as one pattern, tried in order (a regular expression's alternatives are): one
#: match per request, not a prefix test per row (every simulated request asks).
_ROUTE_PATTERN = re.compile("|".join(f"(?P<route{i}>{re.escape(prefix)}(?=/|\\Z))" for i, (prefix, _) in enumerate(ROUTES)))
_GROUP_OF_ROUTE = {f"route{i}": group for i, (_, group) in enumerate(ROUTES)}


def group_for_path(path: str) -> str | None:
    """The group of a request path, or None for paths the simulation leaves alone: the
    first row of ROUTES whose prefix is the path or its first whole segments."""
    match = _ROUTE_PATTERN.match(path)
    return _GROUP_OF_ROUTE[match.lastgroup] if match is not None else None

"""The promotion rules a simulator starts with: `promotions.json`, or SIM_PROMOTIONS_FILE.

The file names seeded things the way a person would (a category slug, a brand, a
product's position in the seeded catalog); loading resolves them to ids, then checks
every rule with the same schema and rules as `/_sim/promotions`.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from marshmallow import ValidationError

from simulator.catalog.model import CATEGORY, PRODUCT
from simulator.errors import DomainError, SettingsError
from simulator.money import quantize
from simulator.promotions import rules as promotions
from simulator.promotions.schemas import PromotionWriteSchema
from simulator.store import Store

DEFAULT_FILE = Path(__file__).parent / "promotions.json"


def _resolve(store: Store, rule: dict[str, Any]) -> dict[str, Any]:
    rule = {k: v for k, v in rule.items() if not k.startswith("_")}
    slugs = rule.pop("category_slugs", None)
    if slugs:
        by_slug = {c.slug: c.id for c in store.values(CATEGORY)}
        missing = [slug for slug in slugs if slug not in by_slug]
        if missing:
            raise SettingsError(f"promotion {rule.get('name')!r}: unknown category slugs {missing}")
        rule["category_ids"] = [by_slug[slug] for slug in slugs]
    positions = rule.pop("product_positions", None)
    if positions is not None:
        ids = store.ids_after(PRODUCT, None, max(positions) + 1)
        if len(ids) <= max(positions):
            return {}  # the catalog is too small for this rule: leave it out
        rule["product_ids"] = [ids[p] for p in positions]
    percent_of_regular = rule.pop("bundle_percent_of_regular", None)
    if percent_of_regular is not None:  # a bundle price that fits whichever products were seeded
        regular = sum(store.get(PRODUCT, p).price for p in rule["product_ids"])
        rule["bundle_price"] = str(quantize(regular * Decimal(percent_of_regular) / 100))
    if "tiers" in rule:
        rule["tiers"] = [{"threshold": t, "amount": a} for t, a in rule["tiers"]]
    return rule


def load_promotions(store: Store, path: str | Path | None = None) -> int:
    """Replace the store's rules with those of the file; returns how many were loaded."""
    path = Path(path) if path else DEFAULT_FILE
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise SettingsError(f"cannot read promotions file {str(path)!r}: {error}") from None
    rules = [_resolve(store, rule) for rule in document.get("promotions", [])]
    try:
        loaded = PromotionWriteSchema(many=True).load([rule for rule in rules if rule])
    except ValidationError as error:
        raise SettingsError(f"promotions file {str(path)!r} has invalid rules: {error.messages}") from None
    try:
        return len(promotions.replace_all(store, loaded, logged=False))
    except DomainError as error:
        raise SettingsError(f"promotions file {str(path)!r}: {error.detail} {error.errors or ''}") from None

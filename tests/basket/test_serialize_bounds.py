"""What a basket answer keeps of the products it showed stays bounded: a reset to another
catalog, or deleted products, must not keep every product ever shown alive."""

from __future__ import annotations

import dataclasses

from simulator.basket import serialize
from simulator.catalog.model import PRODUCT


def test_the_products_kept_for_basket_answers_are_bounded(sim, monkeypatch):
    monkeypatch.setattr(serialize, "_product_parts", {})
    monkeypatch.setattr(serialize, "_MAX_PRODUCT_PARTS", 5)
    product = next(iter(sim.store.values(PRODUCT)))
    shown = [dataclasses.replace(product, id=f"prd_{n:012d}") for n in range(12)]
    for each in shown:
        serialize._product_on_line(each, "4006381333931", "http://x", "EUR")
    assert len(serialize._product_parts) == 5
    assert set(serialize._product_parts) == {each.id for each in shown[-5:]}  # the latest kept
    again = serialize._product_on_line(shown[-1], "4006381333931", "http://x", "EUR")
    assert again[0] is serialize._product_parts[shown[-1].id][4]  # still served from what was kept

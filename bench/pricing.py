"""Section 5: pricing a basket in process (no server): `price_basket`, 50 lines against 200 rules.

The basket holds in-stock products of a seeded catalog (`simulator.seed.seed_catalog` into an
`InMemoryStore`), 1 to 6 units a line. The rules are of every kind, drawn from a seeded
`random.Random`: line percent / amount off with a category or brand condition, buy X
get Y, basket percent / amount, tiered spend, bundle price, free shipping; some with a
minimum spend or quantity, some with a validity window around now, some customer-only,
a few exclusive, and about one in ten gated by a coupon (four of those codes are on the
basket). Most conditions name a category or brand that is in the basket, so the rules
really apply (the figures show how many did): a set of rules that matches nothing would
flatter the engine.

Each timed call gets a fresh `PricingContext` whose `categories_of` is
`simulator.basket.service.categories_of(store)`, as `service.view` builds one per request:
its cache starts cold, and filling it is part of the timing. Runs are timed one by one
after a warm-up; the median and the 95th percentile are reported (the machine is noisy).

`python -m bench.pricing --lines 50 --rules 200 --runs 500` prints one measurement as JSON.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import random
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from .report import Row, SectionResult, Target, python_command, shell_command

SEED = 42
CATALOG_PRODUCTS = 2_000
SIZES = ((50, 200), (10, 20))  # (lines, rules); the target is about the first
FULL = {"runs": 500, "warmup": 20}
QUICK = {"runs": 40, "warmup": 5}
TARGET_LINES, TARGET_RULES = SIZES[0]
TARGET_MS = 5.0
COUPONS_ON_BASKET = 4
NOW = datetime.fromisoformat("2026-11-15T12:00:00+00:00")  # within every validity window drawn
MS = 1000.0


@dataclass(frozen=True)
class Scenario:
    store: object
    inputs: list  # [LineInput]
    rules: list  # [Promotion]
    coupons: tuple[str, ...]
    customer_id: str

    def context(self):
        """A fresh context, as `service.view` makes one per request (cold categories_of cache)."""
        from simulator.basket.pricing import PricingContext
        from simulator.basket.service import categories_of

        return PricingContext(
            now=NOW,
            coupons=self.coupons,
            customer_id=self.customer_id,
            first_order=True,
            usage={},
            categories_of=categories_of(self.store),
        )


def seeded_store(seed: int = SEED, products: int = CATALOG_PRODUCTS):
    from simulator.seed import seed_catalog
    from simulator.store import InMemoryStore

    store = InMemoryStore(seed)
    seed_catalog(store, products)
    return store


def make_scenario(store, lines: int, rules: int, seed: int = SEED) -> Scenario:
    """A basket of `lines` lines and `rules` active rules of mixed kinds, deterministic for the seed."""
    from simulator.basket.pricing import LineInput
    from simulator.catalog.model import CATEGORY, PRODUCT
    from simulator.promotions.rules import Promotion, check_promotion

    rng = random.Random(f"{seed}:pricing-bench:{lines}x{rules}")
    stocked = [product for product in store.values(PRODUCT) if product.stock > 0]
    if len(stocked) < lines:
        raise RuntimeError(f"the catalog has {len(stocked)} products in stock, the basket needs {lines}")
    chosen = rng.sample(stocked, lines)
    inputs = [LineInput(f"itm_{index:04d}", product, rng.choice((1, 1, 1, 2, 2, 3, 4, 6))) for index, product in enumerate(chosen)]

    all_categories = sorted(category.id for category in store.values(CATEGORY))
    all_brands = sorted({product.brand for product in stocked})
    subtotal = sum((i.product.price * i.quantity for i in inputs), Decimal(0))

    def category() -> tuple[str, ...]:  # any category of the tree: a 50-line basket spans many
        return (rng.choice(all_categories),)

    def brand() -> tuple[str, ...]:
        return (rng.choice(all_brands),)

    def spend(share: float) -> Decimal:  # a minimum spend around the basket's subtotal
        return (subtotal * Decimal(str(share))).quantize(Decimal("1"))

    def percent() -> Decimal:
        return Decimal(rng.choice((5, 10, 15, 20, 25, 30)))

    def amount() -> Decimal:
        return Decimal(rng.choice(("0.50", "1.00", "2.00", "3.00", "5.00")))

    def bundle() -> dict:
        products = rng.sample(chosen if rng.random() < 0.5 else stocked, rng.choice((2, 2, 3)))
        regular = sum((p.price for p in products), Decimal(0))
        return {"product_ids": tuple(p.id for p in products), "bundle_price": (regular * Decimal("0.85")).quantize(Decimal("0.01"))}

    kinds = (
        lambda: {"kind": "line_percent", "percent": percent(), "category_ids": category()},
        lambda: {"kind": "line_percent", "percent": percent(), "brands": brand()},
        lambda: {"kind": "line_amount", "amount": amount(), "category_ids": category()},
        lambda: {"kind": "line_amount", "amount": amount(), "brands": brand()},
        lambda: {"kind": "buy_x_get_y", "buy_quantity": rng.choice((1, 2, 3)), "get_quantity": 1, "category_ids": category(),
                 "percent": rng.choice((None, None, Decimal(50)))},
        lambda: {"kind": "basket_percent", "percent": percent(), "min_subtotal": spend(rng.choice((0.2, 0.5, 0.9, 1.5)))},
        lambda: {"kind": "basket_amount", "amount": Decimal(rng.choice((5, 10, 20))), "min_subtotal": spend(rng.choice((0.3, 0.8)))},
        lambda: {"kind": "tiered_spend", "tiers": ((spend(0.25), Decimal(5)), (spend(0.6), Decimal(15)), (spend(1.2), Decimal(40)))},
        lambda: {"kind": "bundle_price", **bundle()},
        lambda: {"kind": "free_shipping", "min_subtotal": spend(rng.choice((0.1, 0.5, 2.0)))},
    )
    promotions, codes = [], []
    for index in range(rules):
        fields = kinds[index % len(kinds)]()
        if fields["kind"] in ("line_percent", "line_amount", "buy_x_get_y") and rng.random() < 0.2:
            fields["min_quantity"] = rng.choice((2, 3, 5))
        if rng.random() < 0.2:  # a validity window around now
            fields["starts_at"] = NOW - timedelta(days=rng.randint(1, 30))
            fields["ends_at"] = NOW + timedelta(days=rng.randint(1, 30))
        if rng.random() < 0.1:
            fields["customer_only"] = True
        coupon = rng.random() < 0.1
        if coupon:
            fields["coupon_code"] = f"BENCH{index:03d}"
            codes.append(fields["coupon_code"])
        # A few exclusive rules, at the lowest priority: an exclusive rule high up would stop
        # the rest of the set and make pricing cheaper than a real rule set does.
        exclusive = rng.random() < 0.03
        promotions.append(
            check_promotion(
                Promotion(
                    id=f"prm_bench{index:04d}",
                    name=f"bench rule {index} ({fields['kind']})",
                    priority=0 if exclusive else rng.randint(1, 100),
                    exclusive=exclusive,
                    **fields,
                )
            )
        )
    on_basket = tuple(rng.sample(codes, min(COUPONS_ON_BASKET, len(codes))))
    return Scenario(store, inputs, promotions, on_basket, customer_id="cus_benchcustomer")


def percentile(sorted_values: list[float], share: float) -> float:
    """The nearest-rank percentile of already sorted values."""
    return sorted_values[max(0, math.ceil(share * len(sorted_values)) - 1)]


def measure(scenario: Scenario, runs: int, warmup: int) -> dict:
    """Time `price_basket` `runs` times, one by one; the figures in ms and what the pricing gave."""
    from simulator.basket.pricing import price_basket

    for _ in range(warmup):
        price_basket(scenario.inputs, scenario.rules, scenario.context())
    gc.collect()
    times = []
    for _ in range(runs):
        context = scenario.context()
        started = time.perf_counter()
        priced = price_basket(scenario.inputs, scenario.rules, context)
        times.append(time.perf_counter() - started)
    times.sort()
    levels = [applied.promotion.level for applied in priced.promotions]
    return {
        "lines": len(scenario.inputs),
        "units": sum(i.quantity for i in scenario.inputs),
        "rules": len(scenario.rules),
        "runs": runs,
        "median_ms": statistics.median(times) * MS,
        "p95_ms": percentile(times, 0.95) * MS,
        "min_ms": times[0] * MS,
        "max_ms": times[-1] * MS,
        "applied": len(priced.promotions),
        "applied_by_level": {"line": levels.count(0), "basket": levels.count(1), "shipping": levels.count(2)},
        "coupons": {c.code: c.state for c in priced.coupons},
        "subtotal": str(priced.subtotal),
        "discount": str(priced.discount),
        "free_shipping": priced.free_shipping,
    }


def measure_size(lines: int, rules: int, runs: int, warmup: int, store=None) -> dict:
    store = store if store is not None else seeded_store()
    return measure(make_scenario(store, lines, rules), runs, warmup)


def measure_argv(lines: int, rules: int, runs: int) -> list[str]:
    return ["-m", "bench.pricing", "--lines", str(lines), "--rules", str(rules), "--runs", str(runs)]


def run(quick: bool = False) -> SectionResult:
    plan = QUICK if quick else FULL
    section = SectionResult("pricing", "5. Pricing a basket in process: price_basket, lines x promotion rules")
    store = seeded_store()
    section.figures.update({"catalog_products": CATALOG_PRODUCTS, "seed": SEED, "warmup": plan["warmup"]})
    python = python_command()
    section.commands = [shell_command([python, "-m", "bench", "pricing"])]
    for lines, rules in SIZES:
        result = measure_size(lines, rules, plan["runs"], plan["warmup"], store)
        section.figures[f"{lines}x{rules}"] = result
        target = None
        if (lines, rules) == (TARGET_LINES, TARGET_RULES):
            target = Target(f"price {TARGET_LINES} lines x {TARGET_RULES} rules (median)", result["median_ms"], "<", TARGET_MS, "ms")
        section.rows.append(
            Row(f"{lines} lines x {rules} rules: median / p95", f"{result['median_ms']:.2f} / {result['p95_ms']:.2f} ms"
                f"  (min {result['min_ms']:.2f}, {result['runs']} runs)", target)
        )
        by_level = result["applied_by_level"]
        coupons = result["coupons"]
        section.rows.append(
            Row(f"{lines} lines x {rules} rules: what applied",
                f"{result['applied']} rules (line {by_level['line']}, basket {by_level['basket']}, shipping {by_level['shipping']}); "
                f"coupons applied {sum(s == 'applied' for s in coupons.values())}/{len(coupons)}; "
                f"discount {result['discount']} of {result['subtotal']}")
        )
        section.commands.append(shell_command([python, *measure_argv(lines, rules, plan["runs"])]))
    section.notes.append(
        f"each run prices with a fresh PricingContext (cold categories_of cache, as per request); "
        f"{plan['warmup']} warm-up runs; catalog of {CATALOG_PRODUCTS:,} products, seed {SEED}"
    )
    if quick:
        section.notes.append(f"--quick: {plan['runs']} runs per size instead of {FULL['runs']}")
    return section


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pricing", description="One pricing timing, as JSON.")
    parser.add_argument("--lines", type=int, default=TARGET_LINES)
    parser.add_argument("--rules", type=int, default=TARGET_RULES)
    parser.add_argument("--runs", type=int, default=FULL["runs"])
    parser.add_argument("--warmup", type=int, default=FULL["warmup"])
    args = parser.parse_args(argv)
    print(json.dumps(measure_size(args.lines, args.rules, args.runs, args.warmup)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

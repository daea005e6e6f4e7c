"""Section 1: seeding speed of `simulator.seed`, against the naive one-Faker-call-per-field loop.

Every timing runs in a fresh interpreter (`python -m bench.seeding --measure KIND N`),
so the imports, allocations and garbage collection of one measurement cannot skew
another; each is repeated and the fastest run is kept (the machine is noisy).

- `seed_catalog`: `simulator.seed.seed_catalog` into an `InMemoryStore`, exactly what the
  server does at start (categories, Faker pools, products, the id index). Imports are
  outside the timing; everything else is inside.
- `naive`: `simulator.seed.catalog.naive_faker_product` called N times (the baseline). Its
  Faker instance is made outside the timing, which only flatters the baseline.

The ratio compares per-product times: naive s/product ÷ seed_catalog s/product at the
largest size measured (the fixed cost of the Faker pools is charged to seed_catalog).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

from .report import ROOT, Row, SectionResult, Target, python_command, shell_command

SEED = 42
FULL = {"sizes": (10_000, 100_000), "naive": 5_000, "repeats": 3}
QUICK = {"sizes": (1_000, 10_000), "naive": 500, "repeats": 1}
TARGET_SIZE = 100_000
TARGET_SECONDS = 5.0
TARGET_SPEEDUP = 5.0
TIMEOUT = 300


def measure(kind: str, count: int, seed: int = SEED) -> dict:
    """One timing, in this process. Returns {"kind", "count", "seconds", "per_second"}."""
    import gc

    from simulator.catalog.model import PRODUCT
    from simulator.seed import seed_catalog
    from simulator.seed.catalog import generate_categories, naive_faker_product
    from simulator.store import InMemoryStore

    gc.collect()
    if kind == "seed_catalog":
        store = InMemoryStore(seed)
        started = time.perf_counter()
        seed_catalog(store, count)
        seconds = time.perf_counter() - started
        made = store.count(PRODUCT)
    elif kind == "naive":
        from faker import Faker

        fake = Faker("en_US")
        fake.seed_instance(seed)
        _, leaves = generate_categories(seed)
        started = time.perf_counter()
        products = [naive_faker_product(fake, leaves) for _ in range(count)]
        seconds = time.perf_counter() - started
        made = len(products)
    else:
        raise ValueError(f"unknown measurement {kind!r}")
    if made != count:
        raise RuntimeError(f"{kind} made {made} products, not {count}")
    return {"kind": kind, "count": count, "seconds": seconds, "per_second": count / seconds}


def measure_argv(kind: str, count: int) -> list[str]:
    return ["-m", "bench.seeding", "--measure", kind, str(count)]


def measure_in_subprocess(kind: str, count: int) -> dict:
    done = subprocess.run(
        [sys.executable, *measure_argv(kind, count)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    if done.returncode != 0:
        raise RuntimeError(f"seeding measurement {kind} {count} failed: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def best_of(kind: str, count: int, repeats: int) -> dict:
    runs = [measure_in_subprocess(kind, count) for _ in range(repeats)]
    best = min(runs, key=lambda run: run["seconds"])
    return {**best, "runs_seconds": [round(run["seconds"], 4) for run in runs]}


def run(quick: bool = False) -> SectionResult:
    plan = QUICK if quick else FULL
    section = SectionResult("seeding", "1. Seeding (simulator.seed.seed_catalog vs the naive Faker loop)")
    repeats = plan["repeats"]
    rows, figures = section.rows, section.figures
    figures["repeats"] = repeats

    seeded = {}
    for size in plan["sizes"]:
        seeded[size] = result = best_of("seed_catalog", size, repeats)
        figures[f"seed_catalog_{size}"] = result
        target = None
        if size == max(plan["sizes"]):
            target = Target(f"seed {TARGET_SIZE:,} products", result["seconds"], "<=", TARGET_SECONDS, "s",
                            applicable=size == TARGET_SIZE)
        rows.append(Row(f"seed_catalog {size:,} products", f"{result['seconds']:.2f} s  ({result['per_second']:,.0f} products/s)", target))

    naive = best_of("naive", plan["naive"], repeats)
    figures["naive"] = naive
    rows.append(Row(f"naive_faker_product x {naive['count']:,}", f"{naive['seconds']:.2f} s  ({naive['per_second']:,.0f} products/s)"))

    largest = seeded[max(plan["sizes"])]
    speedup = largest["per_second"] / naive["per_second"]
    figures["speedup_vs_naive"] = speedup
    rows.append(
        Row(
            f"speed-up per product ({largest['count']:,} vs naive)",
            f"{speedup:.1f}x  ({1e6 / largest['per_second']:.1f} vs {1e6 / naive['per_second']:.1f} us/product)",
            Target("seeding speed-up vs naive Faker", speedup, ">=", TARGET_SPEEDUP, "x"),
        )
    )

    python = python_command()
    section.commands = [shell_command([python, "-m", "bench", "seeding"])] + [
        shell_command([python, *measure_argv("seed_catalog", size)]) for size in plan["sizes"]
    ] + [shell_command([python, *measure_argv("naive", plan["naive"])])]
    section.notes.append(f"each timing in a fresh interpreter, best of {repeats}; seed {SEED}")
    if quick:
        section.notes.append(f"--quick: sizes reduced, the {TARGET_SIZE:,}-product target is not measured (n/a)")
    return section


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.seeding", description="One seeding timing, as JSON.")
    parser.add_argument("--measure", nargs=2, metavar=("KIND", "COUNT"), required=True,
                        help="KIND is seed_catalog or naive; COUNT products")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    kind, count = args.measure[0], int(args.measure[1])
    print(json.dumps(measure(kind, count, args.seed)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

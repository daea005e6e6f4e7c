"""The domain part of a guest basket add, in process: CPU time per part, no server, no HTTP pipeline.

Section `basket` measures whole requests under wrk; this splits what the basket code itself
does per add (as `basket.routes.change_caller_basket` runs it) so a change to one part can
be weighed on its own:

- caller  `callers.caller_basket(runtime())`: the guest basket of X-Basket-Token;
- change  `service.add_item`: the atomic read-check-write (version, age index);
- view    `service.view`: stock states and pricing (`price_basket`);
- answer  `serialize.basket_to_dict`: the answer's body, before JSON encoding.

As in section `basket`: a catalog of 10,000 products, the default promotion rules, the first
8 products of the export cycled one unit at a time on one guest basket (8 lines, growing
quantities), SIM_MAX_LINE_QUANTITY raised and those products' stock raised so no add is
refused. Each part is timed by `time.process_time` over a batch of adds, best of `--rounds`
batches (the machine is shared); the heap is frozen as a serving worker's is.

`python -m bench.basket_domain [--adds 3000] [--rounds 5]` prints µs per add for each part.
"""

from __future__ import annotations

import argparse
import gc
import time

from .inprocess import LINES as PRODUCTS
from .inprocess import TOKEN_HEADER, guest_basket

SETTINGS = {"products": 10_000, "customers": 50, "password_hash_profile": "fast", "churn_per_minute": 0,
            "log_level": "warning", "max_line_quantity": 10_000}


def _setup(products: int = SETTINGS["products"]):
    from simulator import create_app
    from simulator.http.blueprints import EXTENSION

    app = create_app({**SETTINGS, "products": products})
    ids, token = guest_basket(app, PRODUCTS)
    return app, app.extensions[EXTENSION], ids, token


def measure(adds: int, rounds: int, products: int = SETTINGS["products"]) -> dict[str, float]:
    from simulator.basket import service
    from simulator.basket.callers import basket_rules, caller_basket
    from simulator.basket.serialize import basket_to_dict
    from simulator.http.blueprints import runtime

    app, sim, ids, token = _setup(products)
    gc.freeze()  # as a serving worker does (`runtime.freeze_heap`); undone after
    try:
        parts = {"caller": 0.0, "change": 0.0, "view": 0.0, "answer": 0.0}
        best = {name: float("inf") for name in parts}
        with app.test_request_context("/api/v1/basket/items", method="POST", headers={TOKEN_HEADER: token}):
            rules = basket_rules()
            store, clock, currency, base_url = sim.store, sim.clock, sim.settings.currency, sim.settings.base_url
            for round_ in range(rounds + 1):  # the first round warms up
                spent = dict.fromkeys(parts, 0.0)
                for n in range(adds):
                    t0 = time.process_time()
                    basket = caller_basket(runtime())
                    t1 = time.process_time()
                    basket = service.add_item(store, clock, basket, ids[n % PRODUCTS], 1, rules=rules)
                    t2 = time.process_time()
                    view = service.view(store, clock, basket, rules)
                    t3 = time.process_time()
                    basket_to_dict(view, currency, base_url)
                    t4 = time.process_time()
                    spent["caller"] += t1 - t0
                    spent["change"] += t2 - t1
                    spent["view"] += t3 - t2
                    spent["answer"] += t4 - t3
                if round_:
                    for name in parts:
                        best[name] = min(best[name], spent[name] / adds * 1e6)
    finally:
        gc.unfreeze()
    best["domain"] = sum(best.values())
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--adds", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    figures = measure(args.adds, args.rounds)
    print("  ".join(f"{name} {us:6.1f} µs" for name, us in figures.items()))


if __name__ == "__main__":
    main()

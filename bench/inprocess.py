"""CPU time per request in process: the WSGI app called directly, no server, no network.

wrk figures move with whatever else the machine runs; this isolates the app's own cost
of one request: `app(environ, start_response)` in a loop over a prebuilt environ (only
its body stream is made anew per call), CPU time (`time.process_time`) per call, the
best of a few rounds, with the heap frozen meanwhile (`gc.freeze`), as a serving worker's
is (`runtime.freeze_heap`).

- `add`: POST /api/v1/basket/items on a guest basket of 8 lines (the section `basket`'s
  request: 8 products cycled, quantities growing, the seeded promotions applying);
- `bare`: the same POST to bench/bare_app.py's endpoint (`/bare/basket-item`).

`python -m bench.inprocess [--calls N] [--rounds R]` prints both; `basket_add_costs`
gives them to a section.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import time
from collections.abc import Callable

from werkzeug.test import EnvironBuilder

from simulator import create_app

from .bare_app import create_bare_app

ADD_PATH = "/api/v1/basket/items"
BARE_PATH = "/bare/basket-item"
TOKEN_HEADER = "X-Basket-Token"
LINES = 8
STOCK = 1_000_000_000
SETTINGS = {"products": 2_000, "max_line_quantity": 10_000, "log_level": "warning"}


def _caller(app: Callable, path: str, bodies: list[bytes], headers: dict[str, str]) -> Callable[[int], None]:
    """A function making `n` POSTs of `bodies` (in turn) to `path`, as a WSGI server would."""
    environs = [EnvironBuilder(path=path, method="POST", data=body, headers=headers, content_type="application/json").get_environ()
                for body in bodies]
    statuses: list[str] = []

    def start_response(status: str, headers: list, exc_info=None) -> None:
        statuses.append(status)

    def call(n: int) -> None:
        for i in range(n):
            body = bodies[i % len(bodies)]
            environ = dict(environs[i % len(bodies)])
            environ["wsgi.input"] = io.BytesIO(body)
            result = app(environ, start_response)
            for _ in result:
                pass
            if hasattr(result, "close"):
                result.close()
        bad = [status for status in statuses if not status.startswith("200")]
        if bad:
            raise RuntimeError(f"{path} answered {bad[0]} ({len(bad)} of {len(statuses)} not 200)")
        statuses.clear()

    return call


def _per_call_us(call: Callable[[int], None], calls: int, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        call(calls)
        best = min(best, (time.process_time() - started) / calls)
    return best * 1e6


def guest_basket(app, lines: int = LINES) -> tuple[list[str], str]:
    """The first `lines` products of the export, their stock raised to STOCK, and the token of a new
    guest basket: what an add of section `basket` cycles over (shared with bench/basket_domain.py)."""
    client = app.test_client()
    ids = [item["id"] for item in client.get("/api/v1/catalog/export", query_string={"limit": lines}).get_json()["items"]]
    for product_id in ids:
        answer = client.patch(f"/_sim/products/{product_id}", json={"stock": STOCK})
        if answer.status_code != 200 or answer.get_json().get("stock") != STOCK:
            raise RuntimeError(f"PATCH /_sim/products/{product_id} did not set the stock: {answer.status}")
    return ids, client.post("/api/v1/baskets").get_json()["token"]


def _basket_add(app) -> Callable[[int], None]:
    """Adds to a new guest basket that holds LINES lines already."""
    ids, token = guest_basket(app)
    bodies = [json.dumps({"product_id": product_id, "quantity": 1}, separators=(",", ":")).encode() for product_id in ids]
    call = _caller(app, ADD_PATH, bodies, {TOKEN_HEADER: token})
    call(LINES)
    return call


def basket_add_costs(calls: int = 2_000, rounds: int = 5) -> dict[str, float]:
    """µs of CPU per request: `add` (8-line guest basket add) and `bare` (the baseline)."""
    add = _basket_add(create_app(SETTINGS))
    bare = _caller(create_bare_app(), BARE_PATH, [b'{"product_id":"p","quantity":1}'], {TOKEN_HEADER: "t"})
    add(calls // 4), bare(calls // 4)  # warm
    gc.collect()
    gc.freeze()
    try:
        figures = {"add": _per_call_us(add, calls, rounds), "bare": _per_call_us(bare, calls, rounds)}
    finally:
        gc.unfreeze()
    figures["add_beyond_bare"] = figures["add"] - figures["bare"]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.inprocess", description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    for name, us in basket_add_costs(args.calls, args.rounds).items():
        print(f"{name:>16}: {us:7.1f} µs")


if __name__ == "__main__":
    main()

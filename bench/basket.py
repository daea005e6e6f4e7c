"""Section 6: requests/s of basket adds (POST /api/v1/basket/items) as a ratio to a bare Flask endpoint.

As in section 3, the simulator and bench/bare_app.py run under the same serving
configuration (SERVING: gunicorn, 1 gevent worker), and wrk drives both with
bench/wrk_cycle.lua, runs alternating bare, basket, bare, basket after a warm-up of
each; the best run of each counts. The baseline gets the same request: POST, the same
JSON body and the same X-Basket-Token header, to /bare/basket-item.

- The simulator starts with SIM_MAX_LINE_QUANTITY=10000, and the stock of the products
  added is raised to 10^9 first (PATCH /_sim/products/{id}), so adds do not run into
  409 INSUFFICIENT_STOCK or 422 QUANTITY_TOO_HIGH.
- wrk runs as many threads as connections, and thread k sends line k of a file of
  guest basket tokens: every connection fills a basket of its own. Each run gets new
  baskets (POST /api/v1/baskets), so every run starts from the same state. Four
  connections keep the one worker busy; more wrk threads than the machine has spare
  CPUs serve connections unevenly (on 2 CPUs, -t16 -c16 left some connections waiting
  seconds, and their baskets far smaller than others, for the same requests/s).
- Requests cycle over a few products (the first ones of the catalog export, whose
  first two form the seeded bundle promotion), so a basket ends with that many lines
  and quantities grow instead: line count drives the cost of pricing, which every add
  answer includes. The baskets are read back after the runs: lines, units, and the
  promotions that applied are reported, and the units added must match the answers wrk
  counted (at most one request in flight per connection when wrk stops).
- Any answer outside 2xx makes the run a failed measurement (the section fails with
  the count by status), not a fast one.
- Beside wrk's figures, once the servers are stopped, the CPU time of one add and one
  bare request in process (bench/inprocess.py: the WSGI apps called directly, no
  server): less noisy than wrk on a shared machine, and what is the app's own.
"""

from __future__ import annotations

import json

from .http import (
    add_wrk_notes,
    alternate,
    bare_and_simulator,
    check_answer,
    comparison_figures,
    fetch_ids_command,
    fetch_product_ids,
    rate_rows,
    write_lines,
    wrk_argv,
    wrk_binary,
)
from .inprocess import ADD_PATH, BARE_PATH, STOCK, TOKEN_HEADER, basket_add_costs
from .report import RESULTS, Row, SectionResult, Target, python_command, relative, shell_command
from .server import ServerProcess

BASKETS_PATH = "/api/v1/baskets"
BASKET_PATH = "/api/v1/basket"
BODY = '{"product_id":"{id}","quantity":1}'
IDS_FILE = RESULTS / "basket_product_ids.txt"
TOKENS_FILE = RESULTS / "basket_tokens.txt"
APP_SETTINGS = {"max_line_quantity": 10_000}
FULL = {"products": 10_000, "basket_products": 8, "threads": 4, "connections": 4, "seconds": 8, "warmup": 2, "rounds": 2,
        "in_process": {"calls": 2_000, "rounds": 5}}
QUICK = {"products": 10_000, "basket_products": 8, "threads": 4, "connections": 4, "seconds": 3, "warmup": 1, "rounds": 1,
         "in_process": {"calls": 500, "rounds": 3}}
TARGET_RATIO = 0.5


def wrk_options() -> dict[str, str]:
    return {"method": "POST", "body": BODY, "header": TOKEN_HEADER, "values": relative(TOKENS_FILE), "statuses": "1"}


def raise_stock(server: ServerProcess, product_ids: list[str]) -> None:
    for product_id in product_ids:
        answer = check_answer("PATCH", f"{server.url}/_sim/products/{product_id}", json={"stock": STOCK})
        if answer.json().get("stock") != STOCK:
            raise RuntimeError(f"PATCH /_sim/products/{product_id} did not set the stock: {answer.text[:300]}")


def new_baskets(server: ServerProcess, count: int) -> list[str]:
    """`count` new guest baskets; their tokens."""
    return [check_answer("POST", server.url + BASKETS_PATH, expect=201).json()["token"] for _ in range(count)]


def read_baskets(server: ServerProcess, tokens: list[str]) -> dict:
    """What the baskets of one run hold now: lines, units, promotions applied."""
    lines, units, biggest_line, promotions = [], [], 0, set()
    for token in tokens:
        basket = check_answer("GET", server.url + BASKET_PATH, headers={TOKEN_HEADER: token}).json()
        lines.append(len(basket["lines"]))
        units.append(basket["item_count"])
        biggest_line = max([biggest_line, *(line["quantity"] for line in basket["lines"])])
        promotions.update(p["name"] for p in basket["promotions"])
    return {
        "baskets": len(tokens),
        "lines_min": min(lines),
        "lines_max": max(lines),
        "units_total": sum(units),
        "units_min_per_basket": min(units),
        "units_max_per_basket": max(units),
        "largest_line_quantity": biggest_line,
        "promotions_applied": sorted(promotions),
    }


def run(quick: bool = False) -> SectionResult:
    plan = QUICK if quick else FULL
    section = SectionResult("basket", "6. Requests/s: POST /api/v1/basket/items (guest basket add) vs a bare Flask endpoint")
    wrk = wrk_binary()
    tokens_of_runs: list[list[str]] = []  # the baskets of every basket run, warm-up first
    with bare_and_simulator("basket", plan["products"], **APP_SETTINGS) as (bare, shop):
        product_ids = fetch_product_ids(shop, plan["basket_products"])
        write_lines(IDS_FILE, product_ids)
        raise_stock(shop, product_ids)
        # One add on a basket of its own, and one bare POST, before the load: both must answer 200.
        probe = new_baskets(shop, 1)[0]
        check_answer("POST", shop.url + ADD_PATH, json={"product_id": product_ids[0], "quantity": 1}, headers={TOKEN_HEADER: probe})
        check_answer("POST", bare.url + BARE_PATH, json={"product_id": product_ids[0], "quantity": 1}, headers={TOKEN_HEADER: probe})
        write_lines(TOKENS_FILE, new_baskets(shop, plan["connections"]))  # the bare runs send these, and ignore them

        def fresh_baskets(name: str) -> None:
            if name == "basket":
                tokens_of_runs.append(new_baskets(shop, plan["connections"]))
                write_lines(TOKENS_FILE, tokens_of_runs[-1])

        runs = alternate(plan, {
            "bare": lambda seconds: wrk_argv(wrk, plan, seconds, bare, BARE_PATH, IDS_FILE, wrk_options()),
            "basket": lambda seconds: wrk_argv(wrk, plan, seconds, shop, ADD_PATH, IDS_FILE, wrk_options()),
        }, before=fresh_baskets)
        baskets = [read_baskets(shop, tokens) for tokens in tokens_of_runs[1:]]  # the counted runs
        patch_stock = shell_command(
            ["curl", "-s", "-o", "/dev/null", "-X", "PATCH", "-H", "Content-Type: application/json", "-d", json.dumps({"stock": STOCK})])
        new_basket = shell_command(["curl", "-s", "-X", "POST", shop.url + BASKETS_PATH])
        print_token = f"{python_command()} -c \"import json,sys; print(json.load(sys.stdin)['token'])\""
        section.commands = [
            shell_command([python_command(), "-m", "bench", "basket"]),
            f"{bare.command} &",
            f"{shop.command} &",
            fetch_ids_command(shop, plan["basket_products"], IDS_FILE),
            f"for id in $(cat {relative(IDS_FILE)}); do {patch_stock} {shop.url}/_sim/products/$id; done",
            f"for i in $(seq {plan['connections']}); do {new_basket} | {print_token}; done > {relative(TOKENS_FILE)}",
            shell_command(wrk_argv("wrk", plan, plan["seconds"], bare, BARE_PATH, IDS_FILE, wrk_options())),
            shell_command(wrk_argv("wrk", plan, plan["seconds"], shop, ADD_PATH, IDS_FILE, wrk_options())),
            shell_command([python_command(), "-m", "bench.inprocess"]),
        ]
    in_process = basket_add_costs(**plan["in_process"])

    for run_figures, held in zip(runs["basket"], baskets):
        # wrk counts answers received; the server may have done one more add per connection.
        if not run_figures["requests"] <= held["units_total"] <= run_figures["requests"] + plan["connections"]:
            raise RuntimeError(f"the baskets hold {held['units_total']:,} units, wrk counted {run_figures['requests']:,} adds")
        held["wrk_answers"] = run_figures["requests"]
    section.figures = {
        "catalog_products": plan["products"],
        "basket_products": len(product_ids),
        "settings": APP_SETTINGS,
        **comparison_figures(plan, runs, "basket"),
        "baskets_after_runs": baskets,
        "in_process_cpu_us": {name: round(us, 1) for name, us in in_process.items()},
    }
    ratio = section.figures["ratio"]
    section.rows.extend(rate_rows(runs, {"bare": "bare Flask POST /bare/basket-item", "basket": f"POST {ADD_PATH}"}))
    section.rows.append(Row("ratio basket add / bare", f"{ratio:.2f}",
                            Target("basket add req/s vs bare Flask", ratio, ">=", TARGET_RATIO, "")))
    lines = sorted({n for held in baskets for n in (held["lines_min"], held["lines_max"])})
    section.rows.append(Row("baskets at the end of each run",
                            f"{len(baskets)} run(s) x {plan['connections']} baskets; lines {'-'.join(map(str, lines))}; "
                            f"{min(h['units_min_per_basket'] for h in baskets):,}-{max(h['units_max_per_basket'] for h in baskets):,} "
                            f"units a basket, at most {max(h['largest_line_quantity'] for h in baskets):,} on one line"))
    promotions = sorted({name for held in baskets for name in held["promotions_applied"]})
    section.rows.append(Row("promotions applied to them", f"{len(promotions)}: {'; '.join(promotions) or 'none'}"))
    section.rows.append(Row("in process, CPU per request (no server)",
                            f"add {in_process['add']:.0f} µs, bare {in_process['bare']:.0f} µs "
                            f"(add beyond bare {in_process['add_beyond_bare']:.0f} µs)"))
    non_2xx = sum(max(r["non_2xx"], 0) for results in runs.values() for r in results)
    section.rows.append(Row("answers outside 2xx (all runs)", f"{non_2xx:,}  (a run with any fails the section)"))
    add_wrk_notes(
        section, plan, runs,
        f" (a basket per connection), runs alternate bare/basket x{plan['rounds']}, best of each; {len(product_ids)} products "
        f"cycled; catalog of {plan['products']:,} products; SIM_MAX_LINE_QUANTITY={APP_SETTINGS['max_line_quantity']}, "
        f"stock of those products set to {STOCK:,}",
    )
    return section

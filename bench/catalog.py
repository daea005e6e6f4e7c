"""Section 11: requests/s of catalog queries as ratios to a bare Flask endpoint.

Three queries on a catalog of 100,000 products, each against the bare endpoint of
bench/bare_app.py under the same serving configuration (SERVING: gunicorn, 1 gevent
worker), driven by wrk with bench/wrk_cycle.lua:

- browse: `GET /api/v1/products?category=…&in_stock=true&sort=price&page=…` (pages of
  20), cycling over every category (sub-categories included) and pages 1 to 5;
- search: `GET /api/v1/products?q=<two words>`, a brand and a word of a product name,
  cycling over queries made from the first 1,000 products of the export;
- categories: `GET /api/v1/categories`, the whole tree.

The bare server gets the browse query strings (`GET /bare/browse?…`, which ignores them).
Runs cycle bare, browse, search, categories after a warm-up of each, so the bare
baseline is measured in every round; the best run of each counts.
"""

from __future__ import annotations

from urllib.parse import quote

import requests

from .http import (
    add_wrk_notes,
    alternate,
    bare_and_simulator,
    best_runs,
    check_answer,
    fetch_product_ids,
    rate_rows,
    write_lines,
    wrk_argv,
    wrk_binary,
)
from .report import RESULTS, Row, SectionResult, Target, python_command, relative, shell_command
from .server import ServerProcess

FULL = {"products": 100_000, "threads": 2, "connections": 50, "seconds": 10, "warmup": 2, "rounds": 2}
QUICK = {"products": 10_000, "threads": 2, "connections": 50, "seconds": 3, "warmup": 1, "rounds": 1}
TARGET_PRODUCTS = 100_000
#: kind → (path prefix on the simulator, what the figure is, target ratio vs bare)
QUERIES = {
    "browse": ("/api/v1/products?", "filtered browse (category + in_stock + sort=price, page of 20)", 0.5),
    "search": ("/api/v1/products?", "search q= with two words", 0.4),
    "categories": ("", "GET /api/v1/categories", 0.8),  # its file holds the path itself: it takes no query
}
PAGES = 5


def query_file(kind: str):
    return RESULTS / f"catalog_{kind}.txt"


def category_ids(tree: list[dict]) -> list[str]:
    found, stack = [], list(tree)
    while stack:
        node = stack.pop()
        found.append(node["id"])
        stack.extend(node["children"])
    return sorted(found)


def browse_queries(server: ServerProcess) -> list[str]:
    tree = requests.get(server.url + "/api/v1/categories", timeout=30).json()
    return [f"category={category}&in_stock=true&sort=price&page={page}"
            for category in category_ids(tree) for page in range(1, PAGES + 1)]


def search_queries(server: ServerProcess) -> list[str]:
    """`q=<brand> <last word of the name>` for the first products of the export."""
    ids = set(fetch_product_ids(server))
    items = requests.get(server.url + "/api/v1/catalog/export", params={"limit": len(ids)}, timeout=30).json()["items"]
    return sorted({"q=" + quote(f"{item['brand']} {item['name'].split()[-1]}".lower()) for item in items if item["brand"]})


def check_queries(server: ServerProcess, bare: ServerProcess, lines: dict[str, list[str]]) -> None:
    """Each kind answers 200 with what it should before the load: a full page, matches, the tree."""
    for kind, (prefix, _, _) in QUERIES.items():
        url = server.url + prefix + lines[kind][0]
        answer = check_answer("GET", url).json()
        if not answer or (kind == "browse" and len(answer) != 20):
            raise RuntimeError(f"GET {url} answered {len(answer)} items, not {'a page of 20' if kind == 'browse' else 'any'}")
    check_answer("GET", f"{bare.url}/bare/browse?{lines['browse'][0]}")


def wrk_for(binary: str, plan: dict, seconds: int, server: ServerProcess, bare: ServerProcess, kind: str) -> list[str]:
    """wrk for one kind of query, or for the bare endpoint (kind "bare", with the browse queries)."""
    if kind == "bare":
        return wrk_argv(binary, plan, seconds, bare, "/bare/browse?", query_file("browse"))
    return wrk_argv(binary, plan, seconds, server, QUERIES[kind][0], query_file(kind))


def run(quick: bool = False) -> SectionResult:
    plan = QUICK if quick else FULL
    section = SectionResult("catalog", "11. Requests/s: catalog browse, search and category tree vs a bare Flask endpoint")
    wrk = wrk_binary()
    with bare_and_simulator("catalog", plan["products"]) as (bare, server):
        lines = {"browse": browse_queries(server), "search": search_queries(server), "categories": ["/api/v1/categories"]}
        for kind, kind_lines in lines.items():
            write_lines(query_file(kind), kind_lines)
        check_queries(server, bare, lines)
        names = ("bare", *QUERIES)
        runs = alternate(plan, {name: (lambda seconds, name=name: wrk_for(wrk, plan, seconds, server, bare, name)) for name in names})
        section.commands = [
            shell_command([python_command(), "-m", "bench", "catalog"]),
            f"{bare.command} &",
            f"{server.command} &",
            f"# {relative(query_file('browse'))} and {relative(query_file('search'))}: a query string a line, "
            "made from /api/v1/categories and the export's first 1,000 products",
            *(shell_command(wrk_for("wrk", plan, plan["seconds"], server, bare, name)) for name in names),
        ]

    best = best_runs(runs)
    bare_rps = best["bare"]["rps"]
    section.figures = {
        "catalog_products": plan["products"],
        "wrk": {key: plan[key] for key in ("threads", "connections", "seconds", "rounds")},
        "queries": {kind: len(kind_lines) for kind, kind_lines in lines.items()},
        "bare": best["bare"],
        "runs_rps": {name: [round(r["rps"], 1) for r in results] for name, results in runs.items()},
    }
    section.rows.extend(rate_rows(runs, {"bare": "bare Flask GET /bare/…", **{kind: what for kind, (_, what, _) in QUERIES.items()}}))
    for kind, (_, what, target) in QUERIES.items():
        ratio = best[kind]["rps"] / bare_rps
        section.figures[kind] = {**best[kind], "ratio": ratio}
        section.rows.append(Row(f"ratio {kind} / bare", f"{ratio:.2f}", Target(
            f"{what} on {TARGET_PRODUCTS:,} products vs bare", ratio, ">=", target, "",
            applicable=plan["products"] == TARGET_PRODUCTS)))
    add_wrk_notes(
        section, plan, runs,
        f", runs cycle bare/browse/search/categories x{plan['rounds']}, best of each; {len(lines['browse'])} browse and "
        f"{len(lines['search'])} search queries cycled; catalog of {plan['products']:,} products",
    )
    if quick:
        section.notes.append(f"--quick: {plan['products']:,} products, the {TARGET_PRODUCTS:,}-product targets are n/a")
    return section

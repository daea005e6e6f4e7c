"""Section 4: resident memory of the server worker holding the catalog, and the start of
a catalog of a million.

For each catalog size, starts the real server and reads (psutil) the RSS of the
gunicorn worker — the master's child, the process that seeds, indexes and holds the
store — once it answers (seeded and indexed), after one full NDJSON export (100,000
products: the export of a million takes longer than the rest of the section), and
after a short load of filtered browses and two-word searches (the queries of section
11), which fills the caches that answering keeps (the JSON of products lately
answered, the arguments of query strings lately parsed).

The million-product server also gives the time from its start until it answers, and
the seeding and indexing times it logs.
"""

from __future__ import annotations

import re

import psutil

from .catalog import browse_queries, search_queries
from .export import stream_export
from .http import run_wrk, write_lines, wrk_argv, wrk_binary
from .report import RESULTS, Row, SectionResult, Target, python_command, relative, shell_command
from .server import SERVING, ServerProcess

FULL = {"sizes": (100_000, 1_000_000), "load_seconds": 5}
QUICK = {"sizes": (20_000,), "load_seconds": 2}
TARGET_MB = {100_000: 300.0, 1_000_000: 2500.0}
TARGET_READY_SECONDS = 30.0  # 1,000,000 products: seeded and indexed, answering
MB = 1e6
LOAD = {"threads": 2, "connections": 50}
READY_TIMEOUT = 600.0
LOGGED = {
    "seeding_seconds": re.compile(r"seeded \d+ products \(seed \d+\) in ([\d.]+) s"),
    "indexing_seconds": re.compile(r"indexed the catalog in ([\d.]+) s"),
}


def memory_server(products: int) -> ServerProcess:
    """The real server with churn off, logging at info: its log has the seeding and indexing times."""
    settings = {"products": products, "churn_per_minute": 0, **SERVING, "log_level": "info"}
    return ServerProcess(f"memory-{products}-server", "simulator serve", settings, ready_path="/api/v1/categories",
                         ready_timeout=READY_TIMEOUT)


def logged_seconds(server: ServerProcess) -> dict[str, float]:
    text = server.log_path.read_text(encoding="utf-8", errors="replace")
    return {name: float(found[-1]) for name, pattern in LOGGED.items() if (found := pattern.findall(text))}


def query_load(server: ServerProcess, seconds: int) -> list[str]:
    """wrk on filtered browses, then on two-word searches; returns the commands."""
    wrk, commands = wrk_binary(), []
    for kind, lines in (("browse", browse_queries(server)), ("search", search_queries(server))):
        path = RESULTS / f"memory_{kind}.txt"
        write_lines(path, lines)
        run_wrk(wrk_argv(wrk, LOAD, seconds, server, "/api/v1/products?", path), seconds)
        commands.append(shell_command(wrk_argv("wrk", LOAD, seconds, server, "/api/v1/products?", path)))
    return commands


def measure(products: int, load_seconds: int) -> tuple[dict, list[str]]:
    with memory_server(products) as server:
        worker = server.worker()
        figures = {"products": products, "ready_seconds": server.ready_seconds, "rss_mb_seeded": worker.memory_info().rss / MB}
        if products <= 100_000:
            figures["export_products"] = stream_export(server.url)["products"]
            figures["rss_mb_after_export"] = worker.memory_info().rss / MB
        load_commands = query_load(server, load_seconds)
        figures["rss_mb_after_load"] = worker.memory_info().rss / MB
        figures["master_rss_mb"] = psutil.Process(server.pid).memory_info().rss / MB
        figures.update(logged_seconds(server))
        commands = [
            f"{server.command} &",
            f"ps -o pid=,rss=,args= --ppid {server.pid}   # the worker (child of master pid {server.pid}); RSS in KiB",
            *load_commands,
        ]
    figures["rss_mb_peak"] = max(value for name, value in figures.items() if name.startswith("rss_mb_"))
    return figures, commands


def run(quick: bool = False) -> SectionResult:
    plan = QUICK if quick else FULL
    section = SectionResult("memory", "4. Resident memory of the server worker; a catalog of 1,000,000")
    section.commands = [shell_command([python_command(), "-m", "bench", "memory"])]
    for products in plan["sizes"]:
        figures, commands = measure(products, plan["load_seconds"])
        section.figures[str(products)] = figures
        section.commands.extend(commands)
        rows = [
            Row(f"{products:,} products: time until the server answers", f"{figures['ready_seconds']:.1f} s  "
                f"(seeding {figures.get('seeding_seconds', float('nan')):.1f} s, indexing {figures.get('indexing_seconds', float('nan')):.1f} s)",
                Target(f"start with {products:,} products (seeded and indexed)", figures["ready_seconds"], "<=",
                       TARGET_READY_SECONDS, "s") if products == 1_000_000 else None),
            Row(f"{products:,} products: worker RSS once answering", f"{figures['rss_mb_seeded']:.1f} MB"),
        ]
        if "rss_mb_after_export" in figures:
            rows.append(Row(f"{products:,} products: worker RSS after one full export", f"{figures['rss_mb_after_export']:.1f} MB"))
        rows.append(Row(f"{products:,} products: worker RSS after {plan['load_seconds']} s of browses and of searches",
                        f"{figures['rss_mb_after_load']:.1f} MB"))
        target = TARGET_MB.get(products)
        rows.append(Row(
            f"{products:,} products: worker RSS, the largest", f"{figures['rss_mb_peak']:.1f} MB  "
            f"({figures['rss_mb_peak'] * MB / products:,.0f} bytes/product)",
            Target(f"worker RSS with {products:,} products", figures["rss_mb_peak"], "<=", target, "MB") if target else None))
        section.rows.extend(rows)
    for products, target in TARGET_MB.items():
        if products not in plan["sizes"]:
            section.rows.append(Row(f"{products:,} products", "not measured in this run", Target(
                f"worker RSS with {products:,} products", None, "<=", target, "MB", applicable=False)))
    if 1_000_000 not in plan["sizes"]:
        section.rows.append(Row("1,000,000 products: time until the server answers", "not measured in this run", Target(
            "start with 1,000,000 products (seeded and indexed)", None, "<=", TARGET_READY_SECONDS, "s", applicable=False)))
    section.notes.append("MB = 10^6 bytes; RSS includes the interpreter, Flask, gevent, the store and its indexes; "
                         f"server logs in {relative(RESULTS)}/memory-<products>-server.log")
    if quick:
        section.notes.append(f"--quick: {', '.join(f'{n:,}' for n in plan['sizes'])} products only; the targets at "
                             f"{', '.join(f'{n:,}' for n in TARGET_MB)} products are not measured")
    return section

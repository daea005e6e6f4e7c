"""Section 4: resident memory of the server worker holding the catalog.

Starts the real server, and reads (psutil) the RSS of the gunicorn worker — the
master's child, the process that seeds and holds the store — once it answers
(seeded) and again after one full NDJSON export.
"""

from __future__ import annotations

import psutil

from .export import stream_export
from .report import Row, SectionResult, Target, python_command, shell_command
from .server import simulator_server

FULL = {"products": 100_000}
QUICK = {"products": 20_000}
TARGET_PRODUCTS = 100_000
TARGET_MB = 300.0
MB = 1e6


def run(quick: bool = False) -> SectionResult:
    plan = QUICK if quick else FULL
    section = SectionResult("memory", "4. Resident memory of the server worker")
    with simulator_server(plan["products"], name="memory-server") as server:
        worker = server.worker()
        seeded = worker.memory_info().rss
        exported = stream_export(server.url)
        after = worker.memory_info().rss
        master = psutil.Process(server.pid).memory_info().rss
        section.commands = [
            shell_command([python_command(), "-m", "bench", "memory"]),
            f"{server.command} &",
            f"ps -o pid=,rss=,args= --ppid {server.pid}   # the worker (child of master pid {server.pid}); RSS in KiB",
        ]
    peak = max(seeded, after)
    section.figures = {
        "catalog_products": plan["products"],
        "worker_rss_mb_seeded": seeded / MB,
        "worker_rss_mb_after_export": after / MB,
        "master_rss_mb": master / MB,
        "bytes_per_product_after_export": after / plan["products"],
        "export_products": exported["products"],
    }
    target = Target(f"worker RSS with {TARGET_PRODUCTS:,} products", peak / MB, "<", TARGET_MB, "MB",
                    applicable=plan["products"] == TARGET_PRODUCTS)
    section.rows = [
        Row("catalog size", f"{plan['products']:,} products"),
        Row("worker RSS after seeding", f"{seeded / MB:.1f} MB"),
        Row("worker RSS after one full export", f"{after / MB:.1f} MB"),
        Row("worker RSS, larger of the two", f"{peak / MB:.1f} MB  ({peak / plan['products']:,.0f} bytes/product)", target),
        Row("gunicorn master RSS (not counted)", f"{master / MB:.1f} MB"),
    ]
    section.notes.append("MB = 10^6 bytes; RSS includes the interpreter, Flask, gevent and the store")
    if quick:
        section.notes.append(f"--quick: {plan['products']:,} products, the {TARGET_PRODUCTS:,}-product target is n/a")
    return section

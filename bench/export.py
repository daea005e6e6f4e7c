"""Section 2: NDJSON export throughput over HTTP on loopback.

Starts the real server (`python -m simulator serve`, churn off) with the catalog
seeded, then streams `GET /api/v1/catalog/export` with `Accept: application/x-ndjson`
and counts lines as they arrive. Timed from sending the request to the last byte;
repeated, the fastest run kept.
"""

from __future__ import annotations

import json
import time

import requests

from .report import Row, SectionResult, Target, python_command, shell_command
from .server import simulator_server

NDJSON = "application/x-ndjson"
EXPORT_PATH = "/api/v1/catalog/export"
FULL = {"products": 100_000, "runs": 3}
QUICK = {"products": 20_000, "runs": 1}
TARGET_RATE = 50_000  # products/s
CHUNK = 1 << 16


def stream_export(base_url: str, timeout: float = 300.0) -> dict:
    """One full NDJSON export: products, bytes, seconds (and the rates)."""
    started = time.perf_counter()
    with requests.get(base_url + EXPORT_PATH, headers={"Accept": NDJSON}, stream=True, timeout=(5, timeout)) as answer:
        if answer.status_code != 200:
            raise RuntimeError(f"export answered {answer.status_code}: {answer.text[:300]}")
        if not answer.headers.get("Content-Type", "").startswith(NDJSON):
            raise RuntimeError(f"export answered {answer.headers.get('Content-Type')!r}, not {NDJSON}")
        size = lines = 0
        tail = b""
        for chunk in answer.iter_content(chunk_size=CHUNK):
            size += len(chunk)
            lines += chunk.count(b"\n")
            tail = (tail + chunk)[-512:]
    seconds = time.perf_counter() - started
    last = tail.rstrip(b"\n").rsplit(b"\n", 1)[-1]
    if "sync_token" not in json.loads(last):
        raise RuntimeError(f"the export's last line is not the sync token: {last[:200]!r}")
    products = lines - 1
    return {
        "products": products,
        "bytes": size,
        "seconds": seconds,
        "products_per_second": products / seconds,
        "mb_per_second": size / seconds / 1e6,
    }


def curl_command(base_url: str) -> str:
    return shell_command(
        ["curl", "-s", "-o", "/dev/null", "-H", f"Accept: {NDJSON}",
         "-w", "%{size_download} bytes in %{time_total} s\\n", base_url + EXPORT_PATH]
    )


def run(quick: bool = False) -> SectionResult:
    plan = QUICK if quick else FULL
    section = SectionResult("export", "2. NDJSON catalog export over HTTP (loopback)")
    with simulator_server(plan["products"], name="export-server") as server:
        section.figures["server_ready_seconds"] = server.ready_seconds
        runs = [stream_export(server.url) for _ in range(plan["runs"])]
        section.commands = [
            shell_command([python_command(), "-m", "bench", "export"]),
            f"{server.command} &",
            curl_command(server.url),
        ]
    for result in runs:
        if result["products"] != plan["products"]:
            raise RuntimeError(f"the export streamed {result['products']} products, the catalog has {plan['products']}")
    best = max(runs, key=lambda run: run["products_per_second"])
    section.figures.update(
        {
            "catalog_products": plan["products"],
            "best": best,
            "runs": [{k: round(v, 4) if isinstance(v, float) else v for k, v in r.items()} for r in runs],
        }
    )
    run_times = ", ".join(f"{r['seconds']:.2f}" for r in runs)
    section.rows = [
        Row("catalog size", f"{plan['products']:,} products, {best['bytes'] / 1e6:.1f} MB of NDJSON"),
        Row("full export time", f"{best['seconds']:.2f} s  (runs: {run_times} s)"),
        Row("throughput", f"{best['products_per_second']:,.0f} products/s",
            Target("NDJSON export throughput", best["products_per_second"], ">=", TARGET_RATE, "products/s")),
        Row("throughput (bytes)", f"{best['mb_per_second']:.1f} MB/s"),
    ]
    section.notes.append(f"best of {plan['runs']} full export(s) on one server; MB = 10^6 bytes")
    return section

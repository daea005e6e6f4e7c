"""Section 3: requests/s of GET /api/v1/products/{id}, as a ratio to a bare Flask endpoint.

Both apps are served by `simulator.server.SimulatorServer` with the same settings
(gunicorn, 1 gevent worker, the same worker_connections), as two subprocesses alive
for the whole section. wrk drives both with the same Lua script (bench/wrk_cycle.lua),
cycling over 1,000 real product ids (GET /bare/<id> for the baseline). Runs alternate
bare, product, bare, product after a warm-up of each, and the best run of each counts.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from contextlib import ExitStack
from pathlib import Path

import requests

from .report import RESULTS, ROOT, Row, SectionResult, Target, python_command, relative, shell_command
from .server import ServerProcess, bare_server, simulator_server

SCRIPT = ROOT / "bench" / "wrk_cycle.lua"
IDS_FILE = RESULTS / "product_ids.txt"
PRODUCT_PREFIX = "/api/v1/products/"
BARE_PREFIX = "/bare/"
FULL = {"products": 100_000, "threads": 2, "connections": 50, "seconds": 10, "warmup": 2, "rounds": 2}
QUICK = {"products": 10_000, "threads": 2, "connections": 50, "seconds": 3, "warmup": 1, "rounds": 2}
TARGET_RATIO = 0.8
MARKER = "BENCH_JSON "


def wrk_binary() -> str:
    found = shutil.which("wrk") or ("/usr/bin/wrk" if Path("/usr/bin/wrk").exists() else None)
    if not found:
        raise RuntimeError("wrk is not installed (Debian: apt-get install wrk)")
    return found


def wrk_argv(wrk: str, plan: dict, seconds: int, server: ServerProcess, prefix: str) -> list[str]:
    return [
        wrk, f"-t{plan['threads']}", f"-c{plan['connections']}", f"-d{seconds}s", "--latency",
        "-s", relative(SCRIPT), server.url, "--", prefix, relative(IDS_FILE),
    ]


def run_wrk(argv: list[str], seconds: int) -> dict:
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip()[-1000:] or done.stdout[-1000:]}")
    lines = [line for line in done.stdout.splitlines() if line.startswith(MARKER)]
    if not lines:
        raise RuntimeError(f"wrk printed no {MARKER.strip()} line: {done.stdout[-1000:]}")
    figures = json.loads(lines[-1][len(MARKER):])
    figures["rps"] = figures["requests"] / (figures["duration_us"] / 1e6)
    figures["socket_errors"] = sum(figures[f"errors_{kind}"] for kind in ("connect", "read", "write", "timeout"))
    if figures["errors_status"]:
        raise RuntimeError(f"{figures['errors_status']} answers with status >= 400 from {argv[-4]}{argv[-2]}…")
    return figures


def fetch_product_ids(server: ServerProcess, limit: int = 1000) -> list[str]:
    answer = requests.get(server.url + "/api/v1/catalog/export", params={"limit": limit}, timeout=30)
    answer.raise_for_status()
    ids = [item["id"] for item in answer.json()["items"]]
    if len(ids) < min(limit, 10):
        raise RuntimeError(f"the export's first page has only {len(ids)} products")
    return ids


def check_answers(product: ServerProcess, bare: ServerProcess, some_id: str) -> None:
    for url in (product.url + PRODUCT_PREFIX + some_id, bare.url + BARE_PREFIX + some_id):
        answer = requests.get(url, timeout=10)
        if answer.status_code != 200 or not answer.headers.get("Content-Type", "").startswith("application/json"):
            raise RuntimeError(f"GET {url} answered {answer.status_code} {answer.headers.get('Content-Type')}")


def ms(microseconds: float) -> str:
    return f"{microseconds / 1000:.1f} ms"


def run(quick: bool = False) -> SectionResult:
    plan = QUICK if quick else FULL
    section = SectionResult("http", "3. Requests/s: GET /api/v1/products/{id} vs a bare Flask endpoint")
    wrk = wrk_binary()
    runs: dict[str, list[dict]] = {"bare": [], "product": []}
    with ExitStack() as stack:
        bare = stack.enter_context(bare_server(name="http-bare-server"))
        product = stack.enter_context(simulator_server(plan["products"], name="http-product-server"))
        ids = fetch_product_ids(product)
        IDS_FILE.parent.mkdir(parents=True, exist_ok=True)
        IDS_FILE.write_text("\n".join(ids) + "\n", encoding="utf-8")
        check_answers(product, bare, ids[0])
        targets = {"bare": (bare, BARE_PREFIX), "product": (product, PRODUCT_PREFIX)}
        for server, prefix in targets.values():  # warm-up, not counted
            run_wrk(wrk_argv(wrk, plan, plan["warmup"], server, prefix), plan["warmup"])
        for _ in range(plan["rounds"]):
            for name, (server, prefix) in targets.items():
                runs[name].append(run_wrk(wrk_argv(wrk, plan, plan["seconds"], server, prefix), plan["seconds"]))
        section.commands = [
            shell_command([python_command(), "-m", "bench", "http"]),
            f"{bare.command} &",
            f"{product.command} &",
            f"{shell_command(['curl', '-s', product.url + '/api/v1/catalog/export?limit=1000'])} "
            f"| {python_command()} -c \"import json,sys; print('\\n'.join(i['id'] for i in json.load(sys.stdin)['items']))\" "
            f"> {relative(IDS_FILE)}",
            shell_command(wrk_argv("wrk", plan, plan["seconds"], bare, BARE_PREFIX)),
            shell_command(wrk_argv("wrk", plan, plan["seconds"], product, PRODUCT_PREFIX)),
        ]

    best = {name: max(results, key=lambda r: r["rps"]) for name, results in runs.items()}
    ratio = best["product"]["rps"] / best["bare"]["rps"]
    section.figures = {
        "catalog_products": plan["products"],
        "wrk": {key: plan[key] for key in ("threads", "connections", "seconds", "rounds")},
        "ids": len(ids),
        "bare": best["bare"],
        "product": best["product"],
        "ratio": ratio,
        "runs_rps": {name: [round(r["rps"], 1) for r in results] for name, results in runs.items()},
    }
    for name, label in (("bare", "bare Flask GET /bare/{id}"), ("product", "GET /api/v1/products/{id}")):
        result = best[name]
        all_rps = ", ".join(f"{r['rps']:,.0f}" for r in runs[name])
        section.rows.append(Row(f"{label} req/s", f"{result['rps']:,.0f}  (runs: {all_rps})"))
        section.rows.append(Row(f"{label} latency p50 / p99", f"{ms(result['p50_us'])} / {ms(result['p99_us'])}"))
    section.rows.append(
        Row("ratio product / bare", f"{ratio:.2f}", Target("product detail req/s vs bare Flask", ratio, ">=", TARGET_RATIO, "")))
    errors = {name: sum(r["socket_errors"] for r in results) for name, results in runs.items()}
    if any(errors.values()):
        section.notes.append(f"wrk socket errors (connect/read/write/timeout): {errors}")
    section.notes.append(
        f"wrk -t{plan['threads']} -c{plan['connections']} -d{plan['seconds']}s, runs alternate bare/product "
        f"x{plan['rounds']}, best of each; {len(ids)} product ids cycled; catalog of {plan['products']:,} products"
    )
    return section

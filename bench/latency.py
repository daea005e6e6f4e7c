"""Section: injected latency does not hold a worker (Little's law).

One simulator process (gunicorn, 1 gevent worker) is started with a config file
that injects a fixed 100 ms on every request (`[latency.default]`). wrk keeps 200
connections busy on GET /api/v1/products/{id} (bench/wrk_cycle.lua, cycling over
1,000 product ids). With each request taking at least 100 ms, 200 connections can
complete at most 200 / 0.1 s = 2,000 requests a second (Little's law); the target is
90 % of that, which a server holding a worker (or a thread) per waiting request
cannot reach.

After the measured runs the section reads /_sim/stats (the server-side latency of the
`browse` group beside its configured target) and then, on the same server, turns the
injected latency off with PATCH /_sim/config and measures once more, for information:
how many requests a second the process serves when nothing waits.
"""

from __future__ import annotations

import requests

from .http import best_runs, check_answer, fetch_product_ids, ms, run_wrk, socket_errors_note, write_lines, wrk_argv, wrk_binary
from .report import RESULTS, Row, SectionResult, Target, python_command, relative, shell_command
from .server import simulator_server

PREFIX = "/api/v1/products/"
IDS_FILE = RESULTS / "latency_product_ids.txt"
CONFIG_FILE = RESULTS / "latency.toml"
INJECTED_MS = 100
FULL = {"products": 10_000, "threads": 2, "connections": 200, "seconds": 10, "warmup": 2, "rounds": 2}
QUICK = {"products": 10_000, "threads": 2, "connections": 200, "seconds": 3, "warmup": 1, "rounds": 1}
TARGET_RATIO = 0.9


def write_config() -> None:
    CONFIG_FILE.parent.mkdir(parents=True, exist_ok=True)
    CONFIG_FILE.write_text(f'# bench: {INJECTED_MS} ms on every request\n[latency.default]\nprofile = "fixed"\nms = {INJECTED_MS}\n',
                           encoding="utf-8")


def run(quick: bool = False) -> SectionResult:
    plan = QUICK if quick else FULL
    section = SectionResult(
        "latency",
        f"Injected latency: {INJECTED_MS} ms on every request, {plan['connections']} connections, one server process",
    )
    wrk = wrk_binary()
    write_config()
    bound = plan["connections"] / (INJECTED_MS / 1000)
    with simulator_server(plan["products"], name="latency-server", config=relative(CONFIG_FILE)) as server:
        ids = fetch_product_ids(server)
        write_lines(IDS_FILE, ids)
        probe = check_answer("GET", server.url + PREFIX + ids[0])
        if probe.headers.get("X-Sim-Latency-Ms") != f"{INJECTED_MS:.1f}":
            raise RuntimeError(f"the server did not inject {INJECTED_MS} ms: X-Sim-Latency-Ms={probe.headers.get('X-Sim-Latency-Ms')!r}")

        def argv(seconds: int) -> list[str]:
            return wrk_argv(wrk, plan, seconds, server, PREFIX, IDS_FILE, {"statuses": "1"})

        # A warm-up run, then only the measured runs count server-side.
        run_wrk(argv(plan["warmup"]), plan["warmup"])
        requests.delete(server.url + "/_sim/stats", timeout=10).raise_for_status()
        runs = {"latency": [run_wrk(argv(plan["seconds"]), plan["seconds"]) for _ in range(plan["rounds"])]}
        stats = requests.get(server.url + "/_sim/stats", timeout=10).json()["groups"]["browse"]

        patched = requests.patch(server.url + "/_sim/config", json={"latency": {"default": None}}, timeout=10)
        patched.raise_for_status()
        baseline = run_wrk(argv(plan["seconds"]), plan["seconds"])
        section.commands = [
            shell_command([python_command(), "-m", "bench", "latency"]),
            f"{server.command} &",
            shell_command(["curl", "-s", f"{server.url}/api/v1/catalog/export?limit=1000"])
            + f" | {python_command()} -c \"import json,sys; print('\\n'.join(i['id'] for i in json.load(sys.stdin)['items']))\""
            + f" > {relative(IDS_FILE)}",
            shell_command(wrk_argv("wrk", plan, plan["seconds"], server, PREFIX, IDS_FILE, {"statuses": "1"})),
            shell_command(["curl", "-s", f"{server.url}/_sim/stats"]),
            shell_command(["curl", "-s", "-X", "PATCH", "-H", "Content-Type: application/json",
                           "-d", '{"latency": {"default": null}}', f"{server.url}/_sim/config"]),
        ]

    best = best_runs(runs)["latency"]
    ratio = best["rps"] / bound
    server_ms = stats["latency_ms"]
    target_ms = stats["target_latency_ms"]
    section.figures = {
        "injected_ms": INJECTED_MS,
        "wrk": {key: plan[key] for key in ("threads", "connections", "seconds", "rounds")},
        "littles_law_bound_rps": bound,
        "latency": best,
        "ratio": ratio,
        "runs_rps": [round(r["rps"], 1) for r in runs["latency"]],
        "server_side_ms": server_ms,
        "target_ms": target_ms,
        "no_latency": baseline,
    }
    all_rps = ", ".join(f"{r['rps']:,.0f}" for r in runs["latency"])
    section.rows.extend([
        Row(f"{INJECTED_MS} ms injected: req/s", f"{best['rps']:,.0f}  (runs: {all_rps})"),
        Row(f"Little's law bound: {plan['connections']} / {INJECTED_MS / 1000:g} s", f"{bound:,.0f} req/s"),
        Row("achieved / bound", f"{ratio:.2f}", Target(f"req/s vs {plan['connections']} connections / {INJECTED_MS} ms", ratio, ">=", TARGET_RATIO, "")),
        Row("client latency p50 / p90 / p99 (wrk)", f"{ms(best['p50_us'])} / {ms(best['p90_us'])} / {ms(best['p99_us'])}"),
        Row("server-side p50 / p95 / p99 (/_sim/stats, browse)",
            f"{server_ms['p50']:.1f} / {server_ms['p95']:.1f} / {server_ms['p99']:.1f} ms  "
            f"(target {target_ms['p50']:g} / {target_ms['p95']:g} / {target_ms['p99']:g} ms; {server_ms['samples']:,} requests)"),
        Row("same server, latency off (PATCH /_sim/config): req/s", f"{baseline['rps']:,.0f}  (one run)"),
        Row("latency off: client p50 / p99", f"{ms(baseline['p50_us'])} / {ms(baseline['p99_us'])}"),
    ])
    errors = socket_errors_note({**runs, "no latency": [baseline]})
    if errors:
        section.notes.append(errors)
    section.notes.append(
        f"wrk -t{plan['threads']} -c{plan['connections']} -d{plan['seconds']}s x{plan['rounds']} (best counts) after a "
        f"{plan['warmup']} s warm-up; {len(ids):,} product ids cycled; config {relative(CONFIG_FILE)}; "
        "any answer outside 2xx fails the section"
    )
    return section

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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


def wrk_argv(wrk: str, plan: dict, seconds: int, server: ServerProcess, prefix: str,
             ids_file: Path = IDS_FILE, options: dict[str, str] | None = None, timeout: int | None = None) -> list[str]:
    """wrk running bench/wrk_cycle.lua: GET prefix+id, or what `options` (name=value) ask for.

    `timeout` (seconds) replaces wrk's 2 s, past which an answer is an error, not a latency."""
    return [
        wrk, f"-t{plan['threads']}", f"-c{plan['connections']}", f"-d{seconds}s", "--latency",
        *([f"--timeout={timeout}s"] if timeout is not None else []),
        "-s", relative(SCRIPT), server.url, "--", prefix, relative(ids_file),
        *(f"{name}={value}" for name, value in (options or {}).items()),
    ]


def run_wrk(argv: list[str], seconds: int) -> dict:
    """One wrk run and its figures; an answer outside 2xx makes it a failed run (RuntimeError).

    wrk counts status >= 400 itself; with the script's statuses=1 every answer outside
    200-299 is counted by status ("non_2xx", "non_2xx_by_status"; -1 when not counted).
    """
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip()[-1000:] or done.stdout[-1000:]}")
    lines = [line for line in done.stdout.splitlines() if line.startswith(MARKER)]
    if not lines:
        raise RuntimeError(f"wrk printed no {MARKER.strip()} line: {done.stdout[-1000:]}")
    figures = json.loads(lines[-1][len(MARKER):])
    figures["rps"] = figures["requests"] / (figures["duration_us"] / 1e6)
    figures["socket_errors"] = sum(figures[f"errors_{kind}"] for kind in ("connect", "read", "write", "timeout"))
    if figures["errors_status"] or figures.get("non_2xx", -1) > 0:
        separator = argv.index("--")
        by_status = ", ".join(f"{status}: {count:,}" for status, count in sorted(figures.get("non_2xx_by_status", {}).items()))
        raise RuntimeError(
            f"failed measurement: {max(figures['errors_status'], figures.get('non_2xx', -1)):,} of {figures['requests']:,} "
            f"answers were not 2xx{f' ({by_status})' if by_status else ''} from {argv[separator - 1]}{argv[separator + 1]}"
        )
    return figures


def alternate(plan: dict, argv_for: dict[str, Callable[[int], list[str]]],
              before: Callable[[str], None] | None = None) -> dict[str, list[dict]]:
    """A warm-up run of each (not counted), then `plan["rounds"]` rounds of one run of each in turn.

    `argv_for[name](seconds)` is the wrk command of `name`; `before(name)`, when given,
    runs before each of its runs (e.g. to make fresh baskets). Returns every counted run.
    """
    for name, argv in argv_for.items():
        if before:
            before(name)
        run_wrk(argv(plan["warmup"]), plan["warmup"])
    runs: dict[str, list[dict]] = {name: [] for name in argv_for}
    for _ in range(plan["rounds"]):
        for name, argv in argv_for.items():
            if before:
                before(name)
            runs[name].append(run_wrk(argv(plan["seconds"]), plan["seconds"]))
    return runs


def best_runs(runs: dict[str, list[dict]]) -> dict[str, dict]:
    """The fastest run of each (the machine is noisy: slower runs are the noise)."""
    return {name: max(results, key=lambda r: r["rps"]) for name, results in runs.items()}


def paired_ratios(runs: dict[str, list[dict]], name: str, baseline: str) -> list[float]:
    """`name`'s req/s over `baseline`'s, round by round (`alternate` runs them one after the
    other in each round, so each ratio compares runs under the same load on the machine)."""
    pairs = list(zip(runs[name], runs[baseline], strict=True))
    if any(base["rps"] <= 0 for _, base in pairs):
        raise RuntimeError(f"failed measurement: {baseline} served no request in a round ({[base['rps'] for _, base in pairs]})")
    return [run["rps"] / base["rps"] for run, base in pairs]


def rate_rows(runs: dict[str, list[dict]], labels: dict[str, str]) -> list[Row]:
    """For each name: best req/s (with every run's) and that run's latency p50 / p99."""
    rows = []
    for name, result in best_runs(runs).items():
        all_rps = ", ".join(f"{r['rps']:,.0f}" for r in runs[name])
        rows.append(Row(f"{labels[name]} req/s", f"{result['rps']:,.0f}  (runs: {all_rps})"))
        rows.append(Row(f"{labels[name]} latency p50 / p99", f"{ms(result['p50_us'])} / {ms(result['p99_us'])}"))
    return rows


def socket_errors_note(runs: dict[str, list[dict]]) -> str | None:
    errors = {name: sum(r["socket_errors"] for r in results) for name, results in runs.items()}
    return f"wrk socket errors (connect/read/write/timeout): {errors}" if any(errors.values()) else None


def add_wrk_notes(section: SectionResult, plan: dict, runs: dict[str, list[dict]], how: str) -> None:
    """The notes of a wrk comparison: its socket errors, if any, then its wrk settings followed by `how`."""
    if note := socket_errors_note(runs):
        section.notes.append(note)
    section.notes.append(f"wrk -t{plan['threads']} -c{plan['connections']} -d{plan['seconds']}s{how}")


def write_lines(path: Path, lines: list[str]) -> None:
    """One value a line: what bench/wrk_cycle.lua reads (ids, header values)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def fetch_ids_command(server: ServerProcess, limit: int, path: Path) -> str:
    """The shell line that writes the first `limit` product ids of the export to `path`."""
    return (
        f"{shell_command(['curl', '-s', f'{server.url}/api/v1/catalog/export?limit={limit}'])} "
        f"| {python_command()} -c \"import json,sys; print('\\n'.join(i['id'] for i in json.load(sys.stdin)['items']))\" "
        f"> {relative(path)}"
    )


@contextmanager
def bare_and_simulator(section: str, products: int, simulator_name: str = "", **settings: object
                       ) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    """The two servers of a comparison, alive together: `<section>-bare-server` and a simulator
    of `products` (`simulator_name`, by default `<section>-server`, with SIM_* `settings`)."""
    with bare_server(name=f"{section}-bare-server") as bare, \
            simulator_server(products, name=simulator_name or f"{section}-server", **settings) as simulator:
        yield bare, simulator


def check_answer(method: str, url: str, expect: int = 200, **kwargs) -> requests.Response:
    """One request before the load: it must answer `expect` with JSON, or the section fails saying why."""
    answer = requests.request(method, url, timeout=30, **kwargs)
    if answer.status_code != expect or "json" not in answer.headers.get("Content-Type", ""):
        raise RuntimeError(f"{method} {url} answered {answer.status_code} {answer.headers.get('Content-Type')}: {answer.text[:500]}")
    return answer


def comparison_figures(plan: dict, runs: dict[str, list[dict]], measured: str, baseline: str = "bare") -> dict:
    """The figures of a comparison: wrk settings, the best run of each, their ratio, every run's req/s."""
    best = best_runs(runs)
    return {
        "wrk": {key: plan[key] for key in ("threads", "connections", "seconds", "rounds")},
        baseline: best[baseline],
        measured: best[measured],
        "ratio": best[measured]["rps"] / best[baseline]["rps"],
        "runs_rps": {name: [round(r["rps"], 1) for r in results] for name, results in runs.items()},
    }


def fetch_product_ids(server: ServerProcess, limit: int = 1000) -> list[str]:
    answer = requests.get(server.url + "/api/v1/catalog/export", params={"limit": limit}, timeout=30)
    answer.raise_for_status()
    ids = [item["id"] for item in answer.json()["items"]]
    if len(ids) < min(limit, 10):
        raise RuntimeError(f"the export's first page has only {len(ids)} products")
    return ids


def check_answers(product: ServerProcess, bare: ServerProcess, some_id: str) -> None:
    for url in (product.url + PRODUCT_PREFIX + some_id, bare.url + BARE_PREFIX + some_id):
        check_answer("GET", url)


def ms(microseconds: float) -> str:
    return f"{microseconds / 1000:.1f} ms"


def run(quick: bool = False) -> SectionResult:
    plan = QUICK if quick else FULL
    section = SectionResult("http", "3. Requests/s: GET /api/v1/products/{id} vs a bare Flask endpoint")
    wrk = wrk_binary()
    with bare_and_simulator("http", plan["products"], "http-product-server") as (bare, product):
        ids = fetch_product_ids(product)
        write_lines(IDS_FILE, ids)
        check_answers(product, bare, ids[0])
        runs = alternate(plan, {
            "bare": lambda seconds: wrk_argv(wrk, plan, seconds, bare, BARE_PREFIX),
            "product": lambda seconds: wrk_argv(wrk, plan, seconds, product, PRODUCT_PREFIX),
        })
        section.commands = [
            shell_command([python_command(), "-m", "bench", "http"]),
            f"{bare.command} &",
            f"{product.command} &",
            fetch_ids_command(product, 1000, IDS_FILE),
            shell_command(wrk_argv("wrk", plan, plan["seconds"], bare, BARE_PREFIX)),
            shell_command(wrk_argv("wrk", plan, plan["seconds"], product, PRODUCT_PREFIX)),
        ]

    section.figures = {"catalog_products": plan["products"], "ids": len(ids), **comparison_figures(plan, runs, "product")}
    ratio = section.figures["ratio"]
    section.rows.extend(rate_rows(runs, {"bare": "bare Flask GET /bare/{id}", "product": "GET /api/v1/products/{id}"}))
    section.rows.append(
        Row("ratio product / bare", f"{ratio:.2f}", Target("product detail req/s vs bare Flask", ratio, ">=", TARGET_RATIO, "")))
    add_wrk_notes(section, plan, runs, f", runs alternate bare/product x{plan['rounds']}, best of each; "
                  f"{len(ids)} product ids cycled; catalog of {plan['products']:,} products")
    return section

"""`python -m loadtests.run`: start a simulator, run Locust headless against it, stop it, print a summary.

    .venv/bin/python -m loadtests.run                 # what `make load` runs: 20 users, 45 s, churn on
    .venv/bin/python -m loadtests.run --smoke         # every scenario, ~20 s, zero failures allowed (CI)
    .venv/bin/python -m loadtests.run -u 50 -t 2m --shape ramp
    .venv/bin/python -m loadtests.run --host http://127.0.0.1:8000   # a backend that is already running
    .venv/bin/python -m loadtests.run -- --tags checkout              # anything after -- goes to Locust

The simulator starts on a free loopback port with SIM_PASSWORD_HASH_PROFILE=fast (logins
are cheap) and churn on (SIM_CHURN_PER_MINUTE=600 by default, so the catalog sync has
something to sync). Locust writes its CSV files, HTML report and the per-scenario
summary JSON to reports/ (<name>_stats.csv, <name>.html, <name>-summary.json), and the
simulator's log to reports/<name>-simulator.log. The exit code is Locust's: 0 when every
SLO held, 1 when one broke (each broken one is printed), 2 when the simulator did not start.

This module does not import Locust: Locust runs in a child process (importing it
patches the standard library for gevent), so tests and the bench can use it.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from simulator.launch import LaunchError, SimulatorProcess, stop_group

# Locust runs in the folder that holds this package (the repository, or site-packages once
# installed), where locust.conf's `locustfile = loadtests/locustfile.py` is found.
ROOT = Path(__file__).resolve().parent.parent
CONFIG = Path(__file__).resolve().parent / "locust.conf"
REPORTS = Path("reports")  # under the working directory
READY_PATH = "/api/v1/categories"
SCENARIOS = ("catalog_sync", "shopper", "checkout")

#: `make load`: the default mix, short.
DEFAULT = {"users": 20, "spawn_rate": 10.0, "run_time": "45s", "products": 10_000, "customers": 1000,
           "churn": 600.0, "think_time": "1,3", "sync_poll_seconds": 2.0}
#: The CI smoke run: small and quick, every scenario, no failure tolerated.
SMOKE = {"users": 12, "spawn_rate": 10.0, "run_time": "15s", "products": 2000, "customers": 200,
         "churn": 600.0, "think_time": "0.1,0.4", "sync_poll_seconds": 1.0}


SimulatorError = LaunchError


@contextmanager
def simulator(products: int, customers: int, churn: float, seed: int = 42, log_path: Path | None = None,
              ready_timeout: float = 120.0, **settings: object) -> Iterator[SimulatorProcess]:
    """`python -m simulator serve` on a free loopback port, fast password hashing; stopped on leaving the block."""
    with SimulatorProcess(
        {"products": products, "customers": customers, "seed": seed, "churn_per_minute": churn,
         "password_hash_profile": "fast", "log_level": "warning", **settings},
        log_path=log_path or REPORTS / "simulator.log", ready_path=READY_PATH, ready_timeout=ready_timeout,
    ) as sim:
        yield sim


def seconds(run_time: str) -> float:
    """'45s', '2m', '1h30m' or a plain number of seconds → seconds."""
    text, total, number = str(run_time).strip().lower(), 0.0, ""
    for char in text:
        if char.isdigit() or char == ".":
            number += char
        elif char in "hms" and number:
            total += float(number) * {"h": 3600, "m": 60, "s": 1}[char]
            number = ""
        else:
            raise ValueError(f"not a run time: {run_time!r}")
    return total + (float(number) if number else 0.0)


def locust_argv(host: str, name: str, users: int, spawn_rate: float, run_time: str, reports: Path = REPORTS,
                think_time: str | None = None, sync_poll_seconds: float | None = None, customers: int | None = None,
                shape: str | None = None, extra: list[str] | None = None) -> list[str]:
    """The Locust command of a headless run with locust.conf's defaults and our report paths."""
    reports = reports.resolve()  # Locust's working directory is ROOT, not ours
    argv = [
        sys.executable, "-m", "locust", "--config", str(CONFIG), "--headless", "--host", host,
        "-u", str(users), "-r", str(spawn_rate), "-t", run_time,
        "--csv", str(reports / name), "--html", str(reports / f"{name}.html"),
        "--summary-json", str(reports / f"{name}-summary.json"),
    ]
    if think_time:
        argv += ["--think-time", think_time]
    if sync_poll_seconds:
        argv += ["--sync-poll-seconds", str(sync_poll_seconds)]
    if customers:
        argv += ["--customers", str(customers)]
    if shape:
        argv += ["--shape-name", shape]
    return argv + list(extra or [])


@dataclass
class LocustResult:
    returncode: int
    summary: dict | None
    stats_csv: Path
    output: str = ""


def run_locust(argv: list[str], run_time: str, capture: bool = False, timeout_slack: float = 90.0,
               started: Callable[[subprocess.Popen], object] | None = None) -> LocustResult:
    """Run Locust to its end (or kill it when it overruns run_time by timeout_slack).

    `started` is called with the Locust process once it runs (the bench measures its CPU
    and that of the workers it forks with --processes)."""
    name = Path(argv[argv.index("--csv") + 1])
    summary_path = Path(argv[argv.index("--summary-json") + 1])
    summary_path.unlink(missing_ok=True)
    process = subprocess.Popen(
        argv, cwd=ROOT, stdin=subprocess.DEVNULL, start_new_session=True,
        stdout=subprocess.PIPE if capture else None, stderr=subprocess.STDOUT if capture else None, text=True,
    )
    try:
        if started is not None:
            started(process)
        output, _ = process.communicate(timeout=seconds(run_time) + timeout_slack)
    except subprocess.TimeoutExpired:
        stop_group(process)
        output = process.communicate()[0] if capture else ""
        raise RuntimeError(f"locust ran over {run_time} by more than {timeout_slack:.0f} s and was stopped") from None
    except BaseException:
        stop_group(process)
        raise
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else None
    return LocustResult(process.returncode, summary, Path(f"{name}_stats.csv"), output or "")


def ms(value) -> str:
    return "-" if value is None else f"{value:,.0f} ms"


def format_summary(summary: dict | None, reports: list[Path] = ()) -> str:
    if not summary:
        return "no summary was written (did Locust start?)"
    rows = [("scenario", "requests", "failures", "req/s", "p50", "p95", "p99")]
    for name, figures in [*summary["scenarios"].items(), *summary["groups"].items(), ("all requests", summary["total"])]:
        rows.append((name, f"{figures['requests']:,}", f"{figures['failures']:,}", f"{figures['rps']:.1f}",
                     ms(figures["p50_ms"]), ms(figures["p95_ms"]), ms(figures["p99_ms"])))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) if i == 0 else cell.rjust(width) for i, (cell, width) in enumerate(zip(row, widths)))
             for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    sync = summary["sync"]
    lines.append(f"catalog sync checks: {sync['checks']} (mismatches: {sync['mismatches']})")
    for text, count in summary["wrong_answers"].items():
        lines.append(f"WRONG ANSWER x{count}: {text}")
    for slo in summary["slos"]:
        lines.append(f"SLO {'met   ' if slo['ok'] else 'BROKEN'}  {slo['text']}")
    for path in reports:
        lines.append(f"report: {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        extra, argv = argv[argv.index("--") + 1:], argv[:argv.index("--")]
    parser = argparse.ArgumentParser(prog="python -m loadtests.run", description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="the CI smoke run: small catalog, 15 s, no failure allowed")
    parser.add_argument("--host", help="run against this backend instead of starting a simulator")
    parser.add_argument("-u", "--users", type=int)
    parser.add_argument("-r", "--spawn-rate", type=float)
    parser.add_argument("-t", "--run-time")
    parser.add_argument("--shape", choices=("ramp", "spike", "soak"), help="a named load shape (-u is its peak, -t its length)")
    parser.add_argument("--products", type=int, help="SIM_PRODUCTS of the simulator started")
    parser.add_argument("--customers", type=int, help="SIM_CUSTOMERS of the simulator started (and the scenarios' range)")
    parser.add_argument("--churn", type=float, help="SIM_CHURN_PER_MINUTE of the simulator started")
    parser.add_argument("--think-time", help="'min,max' seconds between a user's actions")
    parser.add_argument("--name", help="file name prefix of the reports (default: load, or smoke)")
    parser.add_argument("--reports", type=Path, default=REPORTS, help="folder of the reports (default reports/)")
    args = parser.parse_args(argv)

    plan = dict(SMOKE if args.smoke else DEFAULT)
    for key in ("users", "spawn_rate", "run_time", "products", "customers", "churn", "think_time"):
        if getattr(args, key) is not None:
            plan[key] = getattr(args, key)
    name = args.name or ("smoke" if args.smoke else "load")
    reports = args.reports.resolve()
    if args.smoke:
        extra = ["--slo-fail-ratio", "0", *extra]

    def run(host: str) -> LocustResult:
        command = locust_argv(host, name, plan["users"], plan["spawn_rate"], plan["run_time"], reports,
                              think_time=plan["think_time"], sync_poll_seconds=plan["sync_poll_seconds"],
                              customers=plan["customers"], shape=args.shape, extra=extra)
        print("$ " + shlex.join(["locust", *command[3:]]), flush=True)
        return run_locust(command, plan["run_time"])

    try:
        if args.host:
            result = run(args.host)
        else:
            print(f"starting a simulator: {plan['products']:,} products, {plan['customers']:,} customers, "
                  f"churn {plan['churn']:g}/min, fast password hashing", flush=True)
            with simulator(plan["products"], plan["customers"], plan["churn"],
                           log_path=reports / f"{name}-simulator.log") as sim:
                print(f"simulator at {sim.url} (log: {sim.log_path})", flush=True)
                result = run(sim.url)
    except SimulatorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print()
    print(format_summary(result.summary, [reports / f"{name}.html", result.stats_csv, reports / f"{name}-summary.json"]))
    verdict = "all SLOs met" if result.returncode == 0 else f"exit code {result.returncode}: an SLO broke (see above)"
    print(verdict)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())

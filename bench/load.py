"""Section: the Locust default mix (loadtests/) against one local simulator, no injected latency.

One simulator (bench/server.py `simulator_server`: gunicorn, 1 gevent worker, churn off,
SIM_PASSWORD_HASH_PROFILE=fast) serves every run; `POST /_sim/reset` before each run
puts the catalog, stock and baskets back to the seeded state, so runs do not inherit
each other's orders. Locust runs as a child process (`loadtests.run.locust_argv`: the
settings of loadtests/locust.conf, the realistic think time of 1–3 s between a user's
actions) on the same machine as the server, so both share its CPUs.

1. The default mix (one catalog sync user, shoppers : buyers 9 : 1) with `mix_users`
   users: achieved requests/s and p50 / p95 / p99 per scenario, and of basket updates
   (every POST/PATCH/DELETE on /api/v1/basket…, whichever scenario made it).
2. A stepped search for the largest user count at which the p95 of basket updates stays
   under 100 ms: runs of the same mix at growing user counts (doubling, then one
   bisection between the last that held and the first that did not). Each step counts
   only after all its users are spawned (`--reset-stats`), and a step with any failure
   does not hold. The search stops at `max_users`; "at least" then says so.

The figures are reported for information: the issue sets no target for them.
"""

from __future__ import annotations

import time

import requests

from loadtests.run import locust_argv, run_locust

from .report import RESULTS, Row, SectionResult, Target, python_command, relative, shell_command
from .server import simulator_server

REPORTS = RESULTS / "load"
SCENARIOS = ("catalog_sync", "shopper", "checkout")
P95_LIMIT_MS = 100
FULL = {"products": 10_000, "customers": 1_000, "mix_users": 40, "mix_seconds": 30, "step_seconds": 12,
        "first_step": 50, "max_users": 800, "budget_seconds": 80}
QUICK = {"products": 2_000, "customers": 200, "mix_users": 10, "mix_seconds": 8, "step_seconds": 6,
         "first_step": 20, "max_users": 40, "budget_seconds": 20}


def reset(url: str, products: int) -> None:
    answer = requests.post(url + "/_sim/reset", json={"products": products}, timeout=120)
    if answer.status_code != 200:
        raise RuntimeError(f"POST /_sim/reset answered {answer.status_code}: {answer.text[:300]}")


def mix(url: str, name: str, users: int, seconds: int, customers: int, reset_stats: bool = False) -> dict:
    """One headless run of the default mix; its summary (raises when Locust wrote none)."""
    extra = ["--stop-timeout", "0", "--slo-fail-ratio", "1"] + (["--reset-stats"] if reset_stats else [])
    argv = locust_argv(url, name, users, spawn_rate=max(5.0, users / 2), run_time=f"{seconds}s", reports=REPORTS,
                       customers=customers, extra=extra)
    result = run_locust(argv, f"{seconds}s", capture=True)
    if result.summary is None:
        raise RuntimeError(f"locust wrote no summary (exit {result.returncode}): {result.output[-2000:]}")
    summary = result.summary
    summary["cpu_warning"] = "CPU usage above" in result.output or "CPU usage was too high" in result.output
    summary["argv"] = argv
    return summary


def basket_p95(summary: dict) -> int | None:
    return summary["groups"].get("basket_update", {}).get("p95_ms")


def holds(summary: dict) -> bool:
    p95 = basket_p95(summary)
    return p95 is not None and p95 < P95_LIMIT_MS and summary["total"]["failures"] == 0


def step_figures(users: int, summary: dict) -> dict:
    update = summary["groups"].get("basket_update", {})
    return {"users": users, "basket_update_p95_ms": update.get("p95_ms"), "basket_updates": update.get("requests", 0),
            "rps": summary["total"]["rps"], "failures": summary["total"]["failures"], "holds": holds(summary),
            "locust_cpu_warning": summary["cpu_warning"]}


def command_of(argv: list[str]) -> str:
    return shell_command([python_command(), "-m", "locust", *[relative(a) if a.startswith("/") else a for a in argv[3:]]])


def run(quick: bool = False) -> SectionResult:
    plan = QUICK if quick else FULL
    section = SectionResult(
        "load", f"9. Locust default mix: req/s and latency per scenario; users while basket-update p95 < {P95_LIMIT_MS} ms")
    with simulator_server(plan["products"], name="load-server", customers=plan["customers"],
                          password_hash_profile="fast") as server:
        reset(server.url, plan["products"])
        summary = mix(server.url, "mix", plan["mix_users"], plan["mix_seconds"], plan["customers"])
        section.commands = [
            shell_command([python_command(), "-m", "bench", "load"]),
            f"{server.command} &",
            command_of(summary["argv"]),
        ]

        steps: list[dict] = []
        started = time.perf_counter()

        def step(users: int) -> bool:
            reset(server.url, plan["products"])
            result = mix(server.url, f"step-{users}", users, plan["step_seconds"], plan["customers"], reset_stats=True)
            steps.append(step_figures(users, result))
            return steps[-1]["holds"]

        users, good, bad = plan["first_step"], None, None
        while users <= plan["max_users"] and time.perf_counter() - started < plan["budget_seconds"]:
            if step(users):
                good, users = users, users * 2
            else:
                bad = users
                break
        while good is None and bad is not None and bad > 1 and time.perf_counter() - started < plan["budget_seconds"]:
            users = bad // 2  # even the first step was too many: halve until one holds
            if step(users):
                good = users
            else:
                bad = users
        if good is not None and bad is not None and bad - good > 1 and time.perf_counter() - started < plan["budget_seconds"]:
            middle = (good + bad) // 2
            if step(middle):
                good = middle
        if steps:
            section.commands.append(
                f"# each step: POST {server.url}/_sim/reset, then the command above with -u N -r N/2 "
                f"-t {plan['step_seconds']}s --reset-stats")

    scenarios = summary["scenarios"]
    section.figures = {
        "plan": plan,
        "mix": {"users": plan["mix_users"], "seconds": plan["mix_seconds"], "total": summary["total"],
                "scenarios": scenarios, "groups": summary["groups"], "sync": summary["sync"],
                "locust_cpu_warning": summary["cpu_warning"]},
        "steps": steps,
        "largest_users_basket_p95_under_100ms": good,
        "search_capped": bad is None,
    }
    section.rows.append(Row(f"default mix, {plan['mix_users']} users: all requests",
                            f"{summary['total']['rps']:,.1f} req/s, p50 / p95 / p99 "
                            f"{summary['total']['p50_ms']} / {summary['total']['p95_ms']} / {summary['total']['p99_ms']} ms"))
    for name in SCENARIOS:
        figures = scenarios.get(name)
        if figures:
            section.rows.append(Row(f"  {name}", f"{figures['rps']:,.1f} req/s, p50 / p95 / p99 "
                                                  f"{figures['p50_ms']} / {figures['p95_ms']} / {figures['p99_ms']} ms"))
    update = summary["groups"].get("basket_update")
    if update:
        section.rows.append(Row("  basket updates", f"{update['rps']:,.1f} req/s, p50 / p95 / p99 "
                                                    f"{update['p50_ms']} / {update['p95_ms']} / {update['p99_ms']} ms",
                                Target.informational("basket update p95 (default mix)", update["p95_ms"], "ms")))
    for figures in steps:
        section.rows.append(Row(f"step {figures['users']} users",
                                f"basket-update p95 {figures['basket_update_p95_ms']} ms, {figures['rps']:,.1f} req/s, "
                                f"{figures['failures']} failures: {'holds' if figures['holds'] else 'does not hold'}"))
    shown = "none of the steps" if good is None else (f"at least {good}" if bad is None else f"{good}")
    section.rows.append(Row(f"largest users with basket-update p95 < {P95_LIMIT_MS} ms", shown,
                            Target.informational(f"users at basket-update p95 < {P95_LIMIT_MS} ms", good, "users")))
    if summary["total"]["failures"]:
        section.notes.append(f"the default mix had {summary['total']['failures']} failed request(s); see {relative(REPORTS)}")
    if summary["cpu_warning"] or any(s["locust_cpu_warning"] for s in steps):
        section.notes.append("Locust reported its CPU above 90 %: latency then includes the load generator's own queueing")
    section.notes.append(
        f"catalog {plan['products']:,} products, {plan['customers']:,} customers, think time 1-3 s, churn off, "
        f"no injected latency; Locust and the server share this machine's CPUs; reports in {relative(REPORTS)}")
    return section

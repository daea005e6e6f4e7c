"""Section 7: requests/s of POST /api/v1/auth/login as a ratio to a bare Flask endpoint.

As in section 3, the simulator and bench/bare_app.py run under the same serving
configuration (SERVING: gunicorn, 1 gevent worker), and wrk drives both with
bench/wrk_cycle.lua, runs alternating bare, login, bare, login after a warm-up of
each; the best run of each counts. The baseline gets the same request (POST, the same
JSON body) to /bare/login.

The simulator starts with SIM_PASSWORD_HASH_PROFILE=fast, the load-test hash cost, and
the seeded customers log in as customer{N}@example.test with the seeded password
(`simulator.seed.customers.SEEDED_PASSWORD`), cycling over all N. Every login opens a session
(a token record), as a real one does.

No target was set for this ratio: it is reported for information (n/a). So is the rate
at the default `secure` profile (Argon2id t=2, 19 MiB), measured on a server of its own
in one shorter run: there the hash is the cost, and the ratio shows by how much.

Any answer outside 2xx (401, 429 lockouts, …) makes the run a failed measurement.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import ExitStack

from .http import (
    alternate,
    check_answer,
    comparison_figures,
    ms,
    rate_rows,
    run_wrk,
    socket_errors_note,
    write_lines,
    wrk_argv,
    wrk_binary,
)
from .report import RESULTS, Row, SectionResult, Target, python_command, relative, shell_command
from .server import ServerProcess, bare_server, simulator_server

LOGIN_PATH = "/api/v1/auth/login"
BARE_PATH = "/bare/login"
EMAILS_FILE = RESULTS / "login_emails.txt"
#: The same wrk settings as section 6 (basket): 4 threads of one connection each.
FULL = {"products": 10_000, "customers": 1_000, "threads": 4, "connections": 4, "seconds": 8, "warmup": 2, "rounds": 2,
        "secure_seconds": 5}
QUICK = {"products": 10_000, "customers": 1_000, "threads": 4, "connections": 4, "seconds": 3, "warmup": 1, "rounds": 1,
         "secure_seconds": 2}


def seeded_login() -> tuple[str, Callable[[int], str]]:
    """The seeded password and the email of seeded customer N, from simulator.seed itself."""
    from simulator.seed.customers import SEEDED_PASSWORD, seeded_email

    return SEEDED_PASSWORD, seeded_email


def wrk_options(password: str) -> dict[str, str]:
    body = json.dumps({"email": "{id}", "password": password}, separators=(",", ":"))
    return {"method": "POST", "body": body, "statuses": "1"}


def login_server(plan: dict, profile: str) -> ServerProcess:
    return simulator_server(plan["products"], name=f"login-{profile}-server", customers=plan["customers"],
                            password_hash_profile=profile)


def check_login(server: ServerProcess, email: str, password: str) -> None:
    """One login before the load; a failure says precisely what the endpoint answered."""
    try:
        answer = check_answer("POST", server.url + LOGIN_PATH, json={"email": email, "password": password})
    except RuntimeError as error:
        raise RuntimeError(f"login does not work on this server: {error}") from None
    if not answer.json().get("token"):
        raise RuntimeError(f"POST {LOGIN_PATH} answered 200 without a token: {answer.text[:300]}")


def run(quick: bool = False) -> SectionResult:
    plan = QUICK if quick else FULL
    section = SectionResult("login", "7. Requests/s: POST /api/v1/auth/login (seeded customers) vs a bare Flask endpoint")
    wrk = wrk_binary()
    password, seeded_email = seeded_login()
    emails = [seeded_email(n) for n in range(1, plan["customers"] + 1)]
    write_lines(EMAILS_FILE, emails)
    options = wrk_options(password)
    with ExitStack() as stack:
        bare = stack.enter_context(bare_server(name="login-bare-server"))
        fast = stack.enter_context(login_server(plan, "fast"))
        check_login(fast, emails[-1], password)
        check_answer("POST", bare.url + BARE_PATH, json={"email": emails[-1], "password": password})
        runs = alternate(plan, {
            "bare": lambda seconds: wrk_argv(wrk, plan, seconds, bare, BARE_PATH, EMAILS_FILE, options),
            "login": lambda seconds: wrk_argv(wrk, plan, seconds, fast, LOGIN_PATH, EMAILS_FILE, options),
        })
        fast_commands = [f"{bare.command} &", f"{fast.command} &",
                         shell_command(wrk_argv("wrk", plan, plan["seconds"], bare, BARE_PATH, EMAILS_FILE, options)),
                         shell_command(wrk_argv("wrk", plan, plan["seconds"], fast, LOGIN_PATH, EMAILS_FILE, options))]
        fast.stop()  # before the secure server starts: one server under load at a time
        secure = stack.enter_context(login_server(plan, "secure"))
        check_login(secure, emails[-1], password)
        secure_argv = wrk_argv(wrk, plan, plan["secure_seconds"], secure, LOGIN_PATH, EMAILS_FILE, options)
        secure_run = run_wrk(secure_argv, plan["secure_seconds"])
        section.commands = [
            shell_command([python_command(), "-m", "bench", "login"]),
            f"{python_command()} -c \"import simulator; from simulator.seed.customers import seeded_email; "
            f"print('\\n'.join(seeded_email(n) for n in range(1, {plan['customers'] + 1})))\" > {relative(EMAILS_FILE)}",
            *fast_commands,
            f"{secure.command} &",
            shell_command(wrk_argv("wrk", plan, plan["secure_seconds"], secure, LOGIN_PATH, EMAILS_FILE, options)),
        ]

    section.figures = {
        "catalog_products": plan["products"],
        "customers": plan["customers"],
        **comparison_figures(plan, runs, "login"),
        "secure": {**secure_run, "seconds": plan["secure_seconds"]},
    }
    ratio = section.figures["ratio"]
    secure_ratio = secure_run["rps"] / section.figures["bare"]["rps"]
    section.figures["secure_ratio"] = secure_ratio
    section.rows.extend(rate_rows(runs, {"bare": "bare Flask POST /bare/login", "login": "login, fast hash profile"}))
    section.rows.append(Row("ratio login (fast) / bare", f"{ratio:.2f}",
                            Target.informational("login req/s vs bare Flask (fast hash)", ratio)))
    section.rows.append(Row("login, secure hash profile req/s", f"{secure_run['rps']:,.0f}  (one {plan['secure_seconds']} s run)"))
    section.rows.append(Row("login, secure hash profile latency p50 / p99",
                            f"{ms(secure_run['p50_us'])} / {ms(secure_run['p99_us'])}"))
    section.rows.append(Row("ratio login (secure) / bare", f"{secure_ratio:.3f}",
                            Target.informational("login req/s vs bare Flask (secure hash)", secure_ratio)))
    non_2xx = sum(max(r["non_2xx"], 0) for results in runs.values() for r in results) + max(secure_run["non_2xx"], 0)
    section.rows.append(Row("answers outside 2xx (all runs)", f"{non_2xx:,}  (a run with any fails the section)"))
    errors = socket_errors_note({**runs, "secure": [secure_run]})
    if errors:
        section.notes.append(errors)
    section.notes.append(
        f"wrk -t{plan['threads']} -c{plan['connections']} -d{plan['seconds']}s, runs alternate bare/login x{plan['rounds']}, "
        f"best of each; {len(emails):,} seeded customers cycled (customer1..{len(emails)}@example.test); "
        f"secure profile: one -d{plan['secure_seconds']}s run on its own server; no target set: ratios are informational (n/a)"
    )
    return section

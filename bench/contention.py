"""Section: a product read stays fast while CPU-heavy requests share its worker.

One simulator process (gunicorn, 1 gevent worker, the `secure` hash profile) with
100,000 products. wrk reads products on one connection (bench/wrk_cycle.lua, cycling
over 1,000 ids) for a run alone, then for a run while two clients loop NDJSON exports
of the whole catalog (curl, to /dev/null) and one client loops `secure` logins (wrk on
one connection, as in section 7). The figure is the read's p99 under that load, beside
its p99 alone: on one gevent worker, work that holds the event loop (a chunk of export
serialised without a pause, an Argon2 hash on the loop's thread) shows up here at once.

Rounds alternate alone, loaded; the lowest p99 of each counts. The exports and logins
completed during the loaded runs are reported too: a server that kept the read fast by
starving them would show it there.
"""

from __future__ import annotations

import subprocess
import threading
import time
from contextlib import ExitStack

from .export import EXPORT_PATH, NDJSON
from .http import check_answer, fetch_product_ids, ms, run_wrk, socket_errors_note, write_lines, wrk_argv, wrk_binary
from .login import EMAILS_FILE, LOGIN_PATH, check_login, seeded_login, wrk_options
from .report import RESULTS, Row, SectionResult, Target, python_command, relative, shell_command
from .server import simulator_server

PREFIX = "/api/v1/products/"
IDS_FILE = RESULTS / "contention_product_ids.txt"
FULL = {"products": 100_000, "customers": 1_000, "seconds": 10, "warmup": 2, "rounds": 2, "exporters": 2}
QUICK = {"products": 20_000, "customers": 1_000, "seconds": 3, "warmup": 1, "rounds": 1, "exporters": 2}
ONE_CONNECTION = {"threads": 1, "connections": 1}
TARGET_P99_MS = 10.0
#: Seconds before wrk gives up on an answer (its default: 2): a read or login held that
#: long must count as a latency, not drop out of the percentiles as an error.
WRK_TIMEOUT = 60
CURL_TIMED_OUT = 28  # curl's exit code when --max-time cut the transfer


def curl_export_argv(base_url: str, max_seconds: float | None = None) -> list[str]:
    limit = ["--max-time", f"{max_seconds:.1f}"] if max_seconds is not None else []
    return ["curl", "-s", "-o", "/dev/null", *limit, "-H", f"Accept: {NDJSON}", "-w", "%{http_code} %{size_download}\\n",
            base_url + EXPORT_PATH]


class ExportLoop:
    """A client that exports the catalog again and again until `deadline` (time.monotonic),
    the last export cut short there; counts the bytes it received and the whole exports."""

    def __init__(self, base_url: str, deadline: float):
        self.base_url, self.deadline = base_url, deadline
        self.completed = 0
        self.bytes = 0
        self.failures: list[str] = []
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def start(self) -> ExportLoop:
        self._thread.start()
        return self

    def join(self) -> None:
        self._thread.join(timeout=max(0.0, self.deadline - time.monotonic()) + 30)

    def _loop(self) -> None:
        while (left := self.deadline - time.monotonic()) > 0.1:
            done = subprocess.run(curl_export_argv(self.base_url, left), capture_output=True, text=True)
            status, _, size = done.stdout.strip().partition(" ")
            cut = done.returncode == CURL_TIMED_OUT and status in ("200", "000")  # 000: no answer yet
            if not cut and (done.returncode != 0 or status != "200"):
                self.failures.append(f"curl exited {done.returncode}, HTTP status {status}: {done.stderr.strip()[:200]}")
                return
            self.bytes += int(size)
            self.completed += done.returncode == 0


def loaded_read(plan: dict, seconds: int, base_url: str, read_argv, login_argv) -> dict:
    """One read run while the exports and a login loop run; what they did comes back beside it."""
    lead = 1  # second: the exports and logins get going before the read is timed
    login_result: dict = {}

    def logins() -> None:
        try:
            login_result.update(run_wrk(login_argv(seconds + lead), seconds + lead))
        except RuntimeError as error:
            login_result["error"] = str(error)

    started = time.monotonic()
    exporters = [ExportLoop(base_url, started + lead + seconds).start() for _ in range(plan["exporters"])]
    login_thread = threading.Thread(target=logins, daemon=True)
    login_thread.start()
    try:
        time.sleep(lead)
        read = run_wrk(read_argv(seconds), seconds)
    finally:
        for loop in exporters:
            loop.join()
        login_thread.join(timeout=seconds + 60)
    elapsed = time.monotonic() - started
    failures = [failure for loop in exporters for failure in loop.failures]
    if failures:
        raise RuntimeError(f"an export failed under load: {failures[0]}")
    if "error" in login_result:
        raise RuntimeError(f"the login loop failed under load: {login_result['error']}")
    return {
        **read,
        "exports_completed": sum(loop.completed for loop in exporters),
        "export_mb_per_second": sum(loop.bytes for loop in exporters) / elapsed / 1e6,
        "login": {key: login_result.get(key) for key in ("requests", "rps", "p50_us", "p99_us")},
    }


def run(quick: bool = False) -> SectionResult:
    plan = QUICK if quick else FULL
    section = SectionResult(
        "contention",
        f"Product read on one connection while {plan['exporters']} NDJSON exports and `secure` logins load the worker",
    )
    wrk = wrk_binary()
    read_plan = {**plan, **ONE_CONNECTION}
    password, seeded_email = seeded_login()
    write_lines(EMAILS_FILE, [seeded_email(n) for n in range(1, plan["customers"] + 1)])
    with ExitStack() as stack:
        server = stack.enter_context(simulator_server(plan["products"], name="contention-server",
                                                      customers=plan["customers"], password_hash_profile="secure"))
        ids = fetch_product_ids(server)
        write_lines(IDS_FILE, ids)
        check_answer("GET", server.url + PREFIX + ids[0])
        check_login(server, seeded_email(1), password)

        def read_argv(seconds: int) -> list[str]:
            return wrk_argv(wrk, read_plan, seconds, server, PREFIX, IDS_FILE, {"statuses": "1"}, WRK_TIMEOUT)

        def login_argv(seconds: int) -> list[str]:
            return wrk_argv(wrk, read_plan, seconds, server, LOGIN_PATH, EMAILS_FILE, wrk_options(password), WRK_TIMEOUT)

        run_wrk(read_argv(plan["warmup"]), plan["warmup"])
        alone, loaded = [], []
        for _ in range(plan["rounds"]):
            alone.append(run_wrk(read_argv(plan["seconds"]), plan["seconds"]))
            loaded.append(loaded_read(plan, plan["seconds"], server.url, read_argv, login_argv))
        section.commands = [
            shell_command([python_command(), "-m", "bench", "contention"]),
            f"{server.command} &",
            shell_command(wrk_argv("wrk", read_plan, plan["seconds"], server, PREFIX, IDS_FILE, {"statuses": "1"}, WRK_TIMEOUT)),
            "# then the same wrk while these run:",
            *[f"while {shell_command(curl_export_argv(server.url))}; do :; done &" for _ in range(plan["exporters"])],
            shell_command(wrk_argv("wrk", read_plan, plan["seconds"] + 1, server, LOGIN_PATH, EMAILS_FILE,
                                   wrk_options(password), WRK_TIMEOUT)) + " &",
        ]

    best_alone = min(alone, key=lambda r: r["p99_us"])
    best_loaded = min(loaded, key=lambda r: r["p99_us"])
    p99_ms = best_loaded["p99_us"] / 1000
    section.figures = {
        "catalog_products": plan["products"],
        "hash_profile": "secure",
        "seconds": plan["seconds"],
        "rounds": plan["rounds"],
        "exporters": plan["exporters"],
        "alone": best_alone,
        "loaded": best_loaded,
        "p99_ms": p99_ms,
        "runs_p99_ms": {"alone": [r["p99_us"] / 1000 for r in alone], "loaded": [r["p99_us"] / 1000 for r in loaded]},
    }
    login = best_loaded["login"]
    section.rows = [
        Row("read alone: req/s, p50 / p99 / max",
            f"{best_alone['rps']:,.0f}, {ms(best_alone['p50_us'])} / {ms(best_alone['p99_us'])} / {ms(best_alone['max_us'])}"),
        Row("read under load: req/s, p50 / p99 / max",
            f"{best_loaded['rps']:,.0f}, {ms(best_loaded['p50_us'])} / {ms(best_loaded['p99_us'])} / {ms(best_loaded['max_us'])}"),
        Row("read p99 under load", f"{p99_ms:.1f} ms  (runs: {', '.join(f'{r:.1f}' for r in section.figures['runs_p99_ms']['loaded'])} ms)",
            Target(f"product read p99 with {plan['exporters']} exports of 100,000 products and secure logins",
                   p99_ms, "<=", TARGET_P99_MS, "ms", applicable=plan["products"] == 100_000)),
        Row("meanwhile: exports streamed", f"{best_loaded['export_mb_per_second']:.1f} MB/s together  "
                                           f"({best_loaded['exports_completed']} whole exports)"),
        Row("meanwhile: secure logins", f"{login['requests']:,} ({login['rps']:.1f}/s), p50 / p99 "
                                        f"{ms(login['p50_us'])} / {ms(login['p99_us'])}"),
    ]
    errors = socket_errors_note({"alone": alone, "loaded": loaded})
    if errors:
        section.notes.append(errors)
    section.notes.append(
        f"wrk -t1 -c1 -d{plan['seconds']}s, rounds alone/loaded x{plan['rounds']} (lowest p99 of each counts); "
        f"{len(ids):,} product ids cycled; exports by curl to /dev/null; logins by wrk -t1 -c1 over "
        f"{plan['customers']:,} seeded customers ({relative(EMAILS_FILE)}); any read answer outside 2xx fails the section"
    )
    return section

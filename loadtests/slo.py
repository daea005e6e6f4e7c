"""Per-scenario figures, the SLO check when Locust quits, and the summary JSON.

Locust's own statistics are per request name; a scenario's service level needs the
figures of all its requests together. Every request carries its scenario in the
request context (`ApiUser.context`), and `LoadRun` keeps a second `RequestStats` keyed
by scenario (and by group: `basket_update` is every change of a basket, whichever
scenario made it). In a distributed run each worker ships these to the master with
its regular report, as Locust does with its own statistics.

When Locust quits (on the master or a single process), the SLOs are checked:

- the share of failed requests is at most `--slo-fail-ratio`;
- each scenario that ran has a p95 at most `--slo-p95-<scenario>` ms (0: not checked);
- no answer was wrong (a `WRONG_ANSWER` failure: totals that do not add up, a bogus
  coupon accepted, a replica that differs from the catalog, …), whatever the ratio;
- no user code raised an unexpected exception (in a task, on_start or on_stop);
- at least one request was made.

Any broken SLO is logged by name and sets `environment.process_exit_code = 1`; when
all hold it is 0 (failures within the allowed ratio do not fail the run).
"""

from __future__ import annotations

import json
import logging
import os
import random
from typing import Any

import gevent
from locust import log as locust_log
from locust.runners import WorkerRunner
from locust.stats import CSV_STATS_INTERVAL_SEC, RequestStats, StatsEntry

from .checks import WRONG_ANSWER
from .settings import setting

logger = logging.getLogger("loadtests")

SCENARIOS = ("catalog_sync", "shopper", "checkout")
SCENARIO = "SCENARIO"
GROUP = "GROUP"
BASKET_UPDATE = "basket_update"
#: request_type of results that are not HTTP requests (the catalog sync's replica check).
CHECK = "CHECK"
SYNC_CHECK_NAME = "catalog replica == fresh export"
PERCENTILES = {"p50": 0.5, "p95": 0.95, "p99": 0.99}


def is_basket_update(method: str, name: str) -> bool:
    """A change of a basket: its lines, coupons, or emptying it."""
    return method in ("POST", "PATCH", "PUT", "DELETE") and (name == "/api/v1/basket" or name.startswith("/api/v1/basket/"))


def figures(entry: StatsEntry) -> dict[str, Any]:
    """Requests, failures, throughput and latency of one stats entry."""
    measured = entry.num_requests - entry.num_none_requests
    out: dict[str, Any] = {
        "requests": entry.num_requests,
        "failures": entry.num_failures,
        "fail_ratio": round(entry.fail_ratio, 6),
        "rps": round(entry.total_rps, 2),
        "avg_ms": round(entry.avg_response_time, 1),
        "max_ms": round(entry.max_response_time or 0, 1),
    }
    for label, percent in PERCENTILES.items():
        out[f"{label}_ms"] = entry.get_response_time_percentile(percent) if measured else None
    return out


class LoadRun:
    """What this Locust process knows about the run beyond Locust's own statistics."""

    def __init__(self, environment):
        self.environment = environment
        self.stats = RequestStats(use_response_times_cache=False)
        self.customers_in_use: set[int] = set()
        events = environment.events
        events.request.add_listener(self.on_request)
        events.report_to_master.add_listener(self.on_report_to_master)
        events.worker_report.add_listener(self.on_worker_report)
        events.test_start.add_listener(self.on_test_start)
        events.spawning_complete.add_listener(self.on_spawning_complete)
        self.wrong_checks = 0  # this process's failed CHECK results (a worker's own verdict)
        if isinstance(environment.runner, WorkerRunner):
            events.quitting.add_listener(self.on_worker_quitting)
        else:
            events.quitting.add_listener(self.on_quitting)

    # -- collecting ---------------------------------------------------------------------
    def on_request(self, request_type, name, response_time, response_length, exception=None, context=None, **_kwargs):
        scenario = (context or {}).get("scenario")
        if request_type == CHECK:
            self.wrong_checks += exception is not None
            return
        if scenario is None:
            return
        keys = [(scenario, SCENARIO)]
        if is_basket_update(request_type, name):
            keys.append((BASKET_UPDATE, GROUP))
        for key_name, kind in keys:
            if exception is not None:
                self.stats.log_error(kind, key_name, exception)
            if response_time is not None:
                self.stats.log_request(kind, key_name, response_time, response_length or 0)

    def on_report_to_master(self, client_id, data, **_kwargs):
        data["alegra_scenarios"] = self.stats.serialize_stats()
        self.stats.errors = {}

    def on_worker_report(self, client_id, data, **_kwargs):
        total = self.stats.total  # req/s count up to its last request (no request is logged on a master)
        for entry_data in data.get("alegra_scenarios", []):
            entry = StatsEntry.unserialize(entry_data, self.stats)
            self.stats.entries[(entry.name, entry.method)].extend(entry)
            if entry.last_request_timestamp and entry.last_request_timestamp > (total.last_request_timestamp or 0):
                total.last_request_timestamp = entry.last_request_timestamp

    def on_test_start(self, **_kwargs):
        self.stats.clear_all()

    def on_spawning_complete(self, **_kwargs):
        if not getattr(self.environment.parsed_options, "reset_stats", False):
            return
        self.stats.reset_all()
        settle = float(setting(self.environment, "stats_settle_seconds"))
        if settle > 0 and not isinstance(self.environment.runner, WorkerRunner):
            # The master (or single process) holds the figures reported; a worker's report
            # sent before this reset may still arrive after it (conservative: it only adds
            # settling traffic).
            gevent.spawn_later(settle, self.reset_figures)

    def reset_figures(self) -> None:
        """Start the figures afresh: Locust's own statistics and the per-scenario ones."""
        logger.info("statistics reset: %.0f s after all users were spawned", float(setting(self.environment, "stats_settle_seconds")))
        self.environment.stats.reset_all()
        self.stats.reset_all()

    # -- customers ------------------------------------------------------------------------
    def take_customer(self, rng: random.Random) -> int:
        """A seeded customer number no other user of this process is using (when one is free)."""
        count = max(1, int(setting(self.environment, "customers")))
        number = rng.randint(1, count)
        for _ in range(20):
            if number not in self.customers_in_use:
                break
            number = rng.randint(1, count)
        self.customers_in_use.add(number)
        return number

    def release_customer(self, number: int | None) -> None:
        self.customers_in_use.discard(number)

    # -- the verdict ------------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        stats = self.environment.stats
        scenarios = {
            name: figures(self.stats.entries[(name, SCENARIO)])
            for name in SCENARIOS
            if (name, SCENARIO) in self.stats.entries
        }
        groups = {
            name: figures(entry) for (name, kind), entry in self.stats.entries.items() if kind == GROUP
        }
        wrong = {}
        for error in stats.errors.values():
            if WRONG_ANSWER in str(error.error):
                wrong[f"{error.method} {error.name}: {error.error}"] = error.occurrences
        sync_entry = stats.entries.get((SYNC_CHECK_NAME, CHECK))
        sync = {
            "checks": sync_entry.num_requests if sync_entry else 0,
            "mismatches": sync_entry.num_failures if sync_entry else 0,
        }
        exceptions = sum(row["count"] for row in self.environment.runner.exceptions.values()) if self.environment.runner else 0
        # A user whose greenlet died outside a task (on_start, on_stop) is not in runner.exceptions.
        exceptions += int(bool(locust_log.unhandled_greenlet_exception))
        slos = self.slo_verdicts(stats.total, scenarios, sum(wrong.values()), exceptions)
        return {
            "host": self.environment.host,
            "total": figures(stats.total),
            "scenarios": scenarios,
            "groups": groups,
            "sync": sync,
            "wrong_answers": wrong,
            "exceptions": exceptions,
            "slos": slos,
            "ok": all(slo["ok"] for slo in slos),
        }

    def slo_verdicts(self, total: StatsEntry, scenarios: dict, wrong_answers: int, exceptions: int) -> list[dict]:
        env = self.environment
        verdicts = [{
            "name": "requests made", "value": total.num_requests, "limit": 1, "ok": total.num_requests > 0,
            "text": f"{total.num_requests} request(s) made (at least 1)",
        }]
        limit = float(setting(env, "slo_fail_ratio"))
        verdicts.append({
            "name": "failure ratio", "value": round(total.fail_ratio, 6), "limit": limit, "ok": total.fail_ratio <= limit,
            "text": f"failure ratio {total.fail_ratio:.2%} (limit {limit:.2%})",
        })
        for name in SCENARIOS:
            limit_ms = int(setting(env, f"slo_p95_{name}"))
            found = scenarios.get(name)
            if not limit_ms or not found or found["p95_ms"] is None:
                continue
            verdicts.append({
                "name": f"p95 {name}", "value": found["p95_ms"], "limit": limit_ms, "ok": found["p95_ms"] <= limit_ms,
                "text": f"p95 of {name} {found['p95_ms']} ms (limit {limit_ms} ms)",
            })
        verdicts.append({
            "name": "wrong answers", "value": wrong_answers, "limit": 0, "ok": wrong_answers == 0,
            "text": f"{wrong_answers} wrong answer(s) (limit 0)",
        })
        verdicts.append({
            "name": "user code exceptions", "value": exceptions, "limit": 0, "ok": exceptions == 0,
            "text": f"{exceptions} exception(s) in the scenarios' code (limit 0)",
        })
        return verdicts

    def on_worker_quitting(self, environment, **_kwargs):
        """A worker's own exit code: 1 when a check it made failed (its master may not have heard in time)."""
        if self.wrong_checks:
            logger.error("this worker saw %d failed check(s) (see above)", self.wrong_checks)
            environment.process_exit_code = 1

    def on_quitting(self, environment, **_kwargs):
        if getattr(environment.parsed_options, "csv_prefix", None):
            # Locust rewrites its CSV files once a second: let it write once more, so that what
            # happened while the users stopped (the catalog sync check) is in them too.
            gevent.sleep(CSV_STATS_INTERVAL_SEC + 0.2)
        summary = self.summary()
        for slo in summary["slos"]:
            if slo["ok"]:
                logger.info("SLO met: %s", slo["text"])
            else:
                logger.error("SLO BROKEN: %s", slo["text"])
        for text, count in summary["wrong_answers"].items():
            logger.error("wrong answer x%d: %s", count, text)
        environment.process_exit_code = 0 if summary["ok"] else 1
        path = setting(environment, "summary_json")
        if path:
            directory = os.path.dirname(path)
            if directory:
                os.makedirs(directory, exist_ok=True)
            with open(path, "w", encoding="utf-8") as out:
                json.dump(summary, out, indent=2)
                out.write("\n")

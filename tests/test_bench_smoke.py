"""Smoke tests of `python -m bench`: it runs, writes its JSON, and cleans up its servers.

Nothing here checks a figure against a target: the machine running the tests is
not the one the targets are about. Figures must only exist and be positive.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
import requests

from bench.report import MISS, NOT_APPLICABLE, PASS, Row, SectionResult, Target, summary
from bench.server import ServerError, ServerProcess, bare_server

ROOT = Path(__file__).resolve().parent.parent


def run_bench(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {name: value for name, value in os.environ.items() if not name.startswith("SIM_")}
    return subprocess.run(
        [sys.executable, "-m", "bench", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def test_quick_seeding_section_writes_positive_figures(tmp_path):
    out = tmp_path / "bench.json"
    done = run_bench("--quick", "seeding", "--json", str(out))
    assert done.returncode == 0, done.stderr

    result = json.loads(out.read_text())
    assert result["quick"] is True
    assert list(result["sections"]) == ["seeding"]
    seeding = result["sections"]["seeding"]
    assert seeding["error"] is None
    figures = seeding["figures"]
    for key in ("seed_catalog_1000", "seed_catalog_10000", "naive"):
        assert figures[key]["seconds"] > 0, key
        assert figures[key]["per_second"] > 0, key
    assert figures["seed_catalog_10000"]["count"] == 10_000
    assert figures["naive"]["count"] == 500
    assert figures["speedup_vs_naive"] > 0

    verdicts = {target["name"]: target["verdict"] for target in seeding["targets"]}
    # --quick does not seed 100,000 products: that target must not claim a verdict.
    assert verdicts["seed 100,000 products"] == NOT_APPLICABLE
    assert verdicts["seeding speed-up vs naive Faker"] in (PASS, MISS)
    assert any("bench.seeding --measure seed_catalog 10000" in command for command in seeding["commands"])

    # The printed table carries the figures, the targets and the commands.
    assert "seed_catalog 10,000 products" in done.stdout
    assert "reproduce" in done.stdout
    assert "-m bench.seeding --measure naive 500" in done.stdout


def test_quick_pricing_section_writes_positive_figures(tmp_path):
    out = tmp_path / "bench.json"
    done = run_bench("--quick", "pricing", "--json", str(out))
    assert done.returncode == 0, done.stderr

    result = json.loads(out.read_text())
    assert list(result["sections"]) == ["pricing"]
    pricing = result["sections"]["pricing"]
    assert pricing["error"] is None
    figures = pricing["figures"]
    for key, lines, rules in (("50x200", 50, 200), ("10x20", 10, 20)):
        size = figures[key]
        assert (size["lines"], size["rules"]) == (lines, rules), key
        assert size["runs"] == 40, key  # --quick
        assert 0 < size["min_ms"] <= size["median_ms"] <= size["p95_ms"] <= size["max_ms"], key
        # The rules must really apply to the basket: an engine that matched nothing would time nothing.
        assert size["applied"] > 0, key
        assert sum(size["applied_by_level"].values()) == size["applied"], key
        assert float(size["subtotal"]) > 0 and float(size["discount"]) > 0, key

    verdicts = {target["name"]: target for target in pricing["targets"]}
    target = verdicts["price 50 lines x 200 rules (median)"]
    assert target["verdict"] in (PASS, MISS)
    assert target["value"] == figures["50x200"]["median_ms"]
    assert target["threshold"] == 5.0

    assert "50 lines x 200 rules: median / p95" in done.stdout
    assert "-m bench.pricing --lines 50 --rules 200 --runs 40" in done.stdout


def test_unknown_section_is_refused_without_running_anything(tmp_path):
    out = tmp_path / "bench.json"
    done = run_bench("seeding", "nosuchsection", "--json", str(out))
    assert done.returncode == 2
    assert "nosuchsection" in done.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    ("value", "op", "threshold", "applicable", "verdict"),
    [
        (5.0, "<=", 5.0, True, PASS),
        (5.01, "<=", 5.0, True, MISS),
        (0.79, ">=", 0.8, True, MISS),
        (0.8, ">=", 0.8, True, PASS),
        (300.0, "<", 300.0, True, MISS),
        (1.0, "<=", 5.0, False, NOT_APPLICABLE),
        (None, ">=", 1.0, True, NOT_APPLICABLE),
    ],
)
def test_target_verdicts(value, op, threshold, applicable, verdict):
    assert Target("t", value, op, threshold, "s", applicable).verdict == verdict


def test_informational_figure_has_no_verdict_but_keeps_its_value():
    target = Target.informational("login ratio", 0.42)
    assert target.verdict == NOT_APPLICABLE
    assert target.threshold is None
    assert "informational" in target.text
    assert target.to_json()["value"] == 0.42
    printed = summary([SectionResult("login", "login", rows=[Row("ratio", "0.42", target)])])
    assert "0.42" in printed and NOT_APPLICABLE in printed and "not measured" not in printed


def test_server_process_group_is_stopped_when_the_block_fails():
    server = bare_server(name="test-bare-server")
    with pytest.raises(RuntimeError, match="boom"):
        with server:
            assert requests.get(server.url + "/bare/x", timeout=5).json() == {"id": "bare", "ok": True}
            master = psutil.Process(server.pid)
            processes = [master, server.worker()]
            raise RuntimeError("boom")
    gone, alive = psutil.wait_procs(processes, timeout=10)
    assert not alive
    with pytest.raises(requests.ConnectionError):
        requests.get(server.url + "/bare/x", timeout=2)


def test_server_that_exits_early_is_reported_with_its_log():
    server = ServerProcess("test-broken-server", "simulator serve", {"products": "not-a-number"}, "/api/v1/categories")
    with pytest.raises(ServerError, match="exited with code"):
        with server:
            pass
    assert server.process is None


def test_quick_checkout_section_writes_consistent_figures(tmp_path):
    out = tmp_path / "bench.json"
    done = run_bench("--quick", "checkout", "--json", str(out))
    assert done.returncode == 0, done.stdout + done.stderr

    checkout = json.loads(out.read_text())["sections"]["checkout"]
    assert checkout["error"] is None
    figures = checkout["figures"]
    assert figures["calls_per_checkout"] == 8
    best = figures["checkout"]
    assert best["checkouts"] > 0 and best["non_2xx"] == 0 and best["errors_status"] == 0
    assert sum(best["checkouts_by_connection"]) == best["checkouts"]
    assert len(best["checkouts_by_connection"]) == figures["wrk"]["connections"]
    # Every answered call but one unfinished checkout per connection belongs to a complete checkout.
    assert 8 * best["checkouts"] <= best["requests"] <= 8 * best["checkouts"] + 7 * figures["wrk"]["connections"]
    assert 0 < best["checkout_p50_us"] <= best["checkout_p95_us"] <= best["checkout_max_us"]
    assert figures["bare_rps"] > 0
    assert figures["ratio"] == pytest.approx(figures["checkouts_per_s"] / (figures["bare_rps"] / 8))
    # The orders really exist: wrk's 201s match the orders the customers hold.
    assert figures["checkouts_completed_all_runs"] <= figures["orders_placed"]
    for run in (best, figures["bare"]):
        assert run["client_cpu_s"] > 0 and run["server_cpu_s"] > 0

    (target,) = checkout["targets"]
    assert target["threshold"] is None and target["verdict"] == NOT_APPLICABLE
    assert target["value"] == figures["ratio"]
    assert "ratio checkouts/s / (bare req/s / 8)" in done.stdout
    assert "bench/wrk_checkout.lua" in done.stdout


def test_checkout_script_fails_the_run_on_an_unexpected_answer(tmp_path):
    """Against the bare server every checkout call answers 404 (or 405): the run is a failed measurement."""
    from bench.checkout import checkout_argv
    from bench.http import run_wrk, wrk_binary

    ids, tokens = tmp_path / "ids.txt", tmp_path / "tokens.txt"
    ids.write_text("prd_x\n")
    tokens.write_text("not-a-token\n")
    with bare_server(name="test-checkout-bare-server") as server:
        argv = checkout_argv(wrk_binary(), {"threads": 1, "connections": 1}, 1, server, "test", ids, tokens)
        with pytest.raises(RuntimeError, match=r"failed measurement: [\d,]+ of [\d,]+ answers were not 2xx \(404: "):
            run_wrk(argv, 1)


def test_the_basket_domain_harness_times_every_part_of_an_add():
    from bench.basket_domain import measure

    figures = measure(adds=16, rounds=1, products=200)
    assert set(figures) == {"caller", "change", "view", "answer", "domain"}
    assert all(us > 0 for us in figures.values())


def test_the_in_process_harness_costs_an_add_and_a_bare_request():
    from bench.inprocess import basket_add_costs

    figures = basket_add_costs(calls=16, rounds=1)
    assert set(figures) == {"add", "bare", "add_beyond_bare"}
    assert figures["add"] > 0 and figures["bare"] > 0
    assert figures["add_beyond_bare"] == pytest.approx(figures["add"] - figures["bare"])


def test_the_in_process_harness_refuses_an_answer_that_is_not_200():
    from bench.bare_app import create_bare_app
    from bench.inprocess import _caller

    call = _caller(create_bare_app(), "/no-such-endpoint", [b"{}"], {})
    with pytest.raises(RuntimeError, match=r"/no-such-endpoint answered 404 .*\(1 of 1 not 200\)"):
        call(1)

"""The load scenarios (loadtests/): their answer checks, and Locust runs in a child process.

Importing Locust patches the standard library for gevent, so nothing here imports it:
`loadtests.checks` and `loadtests.run` are Locust-free, and every Locust run is a
subprocess (`python -m loadtests.run --smoke`, or `locust -f …`) against a simulator
of its own on a free loopback port.
"""

from __future__ import annotations

import copy
import csv
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from loadtests import checks
from loadtests.run import SMOKE, locust_argv, run_locust, seconds, simulator

ROOT = Path(__file__).resolve().parent.parent
BROKEN_SYNC_LOCUSTFILE = Path(__file__).resolve().parent / "load_broken_sync.py"

#: Request names each scenario must have made in the smoke run (method, name).
SCENARIO_REQUESTS = {
    "catalog_sync": [("GET", "/api/v1/catalog/export"), ("GET", "/api/v1/catalog/changes"),
                     ("CHECK", "catalog replica == fresh export")],
    "shopper": [("GET", "/api/v1/products?q=[q]"), ("GET", "/api/v1/products/[id]"), ("POST", "/api/v1/basket/items"),
                ("POST", "/api/v1/basket/coupons")],
    "checkout": [("POST", "/api/v1/auth/login"), ("POST", "/api/v1/checkout"), ("PUT", "/api/v1/checkout/[id]/shipping-address"),
                 ("POST", "/api/v1/checkout/[id]/payment"), ("POST", "/api/v1/checkout/[id]/order")],
}


def stats_rows(path: Path) -> dict[tuple[str, str], dict]:
    with open(path, newline="") as handle:
        return {(row["Type"], row["Name"]): row for row in csv.DictReader(handle)}


# -- the checks, on real answers and on broken ones ------------------------------------------


@pytest.fixture
def basket(client, sim):
    """A real basket answer with several lines, a line promotion and the FLASH25 coupon."""
    token = client.post("/api/v1/baskets").get_json()["token"]
    headers = {"X-Basket-Token": token}
    products = client.get("/api/v1/products?in_stock=true&page_size=6&sort=-price").get_json()
    for product in products[:4]:
        answer = client.post("/api/v1/basket/items", json={"product_id": product["id"], "quantity": 2}, headers=headers)
        assert answer.status_code in (200, 409), answer.get_json()
    answer = client.post("/api/v1/basket/coupons", json={"code": "FLASH25"}, headers=headers)
    assert answer.status_code == 200
    body = answer.get_json()
    assert len(body["lines"]) >= 2 and checks.amount(body["totals"]["discount"]) > 0
    return body


def test_a_real_basket_answer_passes(basket):
    assert checks.check_basket(basket) == []


def money(value: str) -> dict:
    return {"amount": value, "currency": "EUR"}


@pytest.mark.parametrize(
    ("break_it", "expected"),
    [
        (lambda b: b["totals"].update(total=money("0.01")), "total 0.01 != subtotal"),
        (lambda b: b["lines"][0].update(discount=money("0.00"), discounts=[],
                                        total=b["lines"][0]["subtotal"]), "line discounts sum to"),
        (lambda b: b["totals"].update(tax=money("1.5")), "not a non-negative decimal string with 2 places"),
        (lambda b: b["lines"][0].update(unit_price=money("-1.00")), "not a non-negative decimal string with 2 places"),
        (lambda b: b["lines"][1]["unit_price"].update(currency="USD"), "mixes currencies"),
        (lambda b: b["lines"][0].update(quantity=b["lines"][0]["quantity"] + 1), "!= unit price"),
        (lambda b: b["promotions"].clear(), "applied promotions sum to"),
        (lambda b: b["taxes"].clear(), "tax per rate sums to"),
        (lambda b: b["totals"].pop("shipping"), "totals.shipping is missing"),
    ],
)
def test_a_broken_basket_is_reported(basket, break_it, expected):
    broken = copy.deepcopy(basket)
    break_it(broken)
    problems = checks.check_basket(broken)
    assert any(expected in problem for problem in problems), problems


def test_a_checkout_total_must_include_shipping_and_payment_fee(basket):
    checkout = {
        "id": "chk_x", "basket": basket,
        "totals": {**basket["totals"], "shipping": money("4.90"), "payment_fee": money("1.00")},
    }
    total = checks.amount(basket["totals"]["total"])
    checkout["totals"]["total"] = money(f"{total + 4 + Decimal('1.90'):.2f}")
    assert checks.check_checkout(checkout) == []
    checkout["totals"]["total"] = money(f"{total + 4:.2f}")  # the fee left out
    assert any("payment fee 1.00" in p for p in checks.check_checkout(checkout))
    checkout["totals"]["discount"] = money("0.00")
    assert any("differs from its basket's" in p for p in checks.check_checkout(checkout))


def test_an_order_must_add_up_like_a_basket_and_be_paid_for_its_total(basket):
    order = {
        "id": "ord_x", "lines": copy.deepcopy(basket["lines"]), "promotions": copy.deepcopy(basket["promotions"]),
        "taxes": copy.deepcopy(basket["taxes"]),
        "totals": {**basket["totals"], "payment_fee": money("0.00")},
        "payment": {"state": "authorized", "amount": basket["totals"]["total"]},
    }
    assert checks.check_order(order) == []
    order["payment"]["amount"] = money("0.01")
    assert any("authorized payment of 0.01" in p for p in checks.check_order(order))
    order["payment"]["amount"] = basket["totals"]["total"]
    order["lines"].pop()
    assert any("line subtotals sum to" in p for p in checks.check_order(order))


def test_money_problems_are_named_by_where_they_are_in_a_product_list(client, sim):
    products = client.get("/api/v1/products?page_size=5").get_json()
    problems, currencies = checks.check_money(products, "products")
    assert problems == [] and currencies == {"EUR"}
    products[3]["price"]["amount"] = "12.5"
    products[4]["compare_at_price"] = {"amount": "1.00", "currency": ""}
    assert checks.check_money(products, "products")[0] == [
        "products[3].price: amount '12.5' is not a non-negative decimal string with 2 places",
        "products[4].compare_at_price: currency '' is missing",
    ]


def test_money_in_containers_other_than_decoded_json_is_checked_too():
    class Answer(dict):
        pass

    body = [Answer(price={"amount": "-1.00", "currency": "EUR"})]
    assert checks.check_money(body, "x")[0] == ["x[0].price: amount '-1.00' is not a non-negative decimal string with 2 places"]


def test_failure_message_is_marked_and_short():
    message = checks.failure_message("basket", ["a", "b", "c", "d", "e"])
    assert message == f"{checks.WRONG_ANSWER} (basket): a; b; c (+2 more)"


def test_diff_catalogs_names_missing_extra_and_changed_products():
    fresh = {"prd_a": {"id": "prd_a", "price": 1}, "prd_b": {"id": "prd_b", "price": 2}}
    replica = {"prd_b": {"id": "prd_b", "price": 3}, "prd_c": {"id": "prd_c", "price": 4}}
    problems = checks.diff_catalogs(replica, fresh)
    assert problems == [
        "1 product(s) missing from the replica: prd_a",
        "1 product(s) in the replica but deleted: prd_c",
        "1 product(s) differ: prd_b (price)",
    ]
    assert checks.diff_catalogs(fresh, copy.deepcopy(fresh)) == []


def test_nothing_in_this_process_imports_locust():
    assert "locust" not in sys.modules
    done = subprocess.run(
        [sys.executable, "-c", "import sys, loadtests.checks, loadtests.run; "
                               "print(sorted(m for m in ('locust', 'gevent') if m in sys.modules))"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_run_time_parsing():
    assert seconds("45s") == 45 and seconds("2m") == 120 and seconds("1h30m") == 5400 and seconds("15") == 15
    with pytest.raises(ValueError):
        seconds("soon")


# -- Locust runs ----------------------------------------------------------------------------------


def test_smoke_run_executes_every_scenario_without_a_failure(tmp_path):
    """What CI runs: `python -m loadtests.run --smoke` (each scenario, zero failures, SLOs met)."""
    done = subprocess.run(
        [sys.executable, "-m", "loadtests.run", "--smoke", "--reports", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=seconds(SMOKE["run_time"]) + 120,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-5000:]

    rows = stats_rows(tmp_path / "smoke_stats.csv")
    aggregated = rows[("", "Aggregated")]
    assert int(aggregated["Failure Count"]) == 0, output[-5000:]
    for scenario, names in SCENARIO_REQUESTS.items():
        for key in names:
            assert key in rows and int(rows[key]["Request Count"]) > 0, f"{scenario}: no {key} in the stats"

    summary = json.loads((tmp_path / "smoke-summary.json").read_text())
    assert summary["ok"] is True
    assert set(summary["scenarios"]) == {"catalog_sync", "shopper", "checkout"}
    for scenario, figures in summary["scenarios"].items():
        assert figures["requests"] > 0 and figures["failures"] == 0, (scenario, figures)
    assert summary["groups"]["basket_update"]["requests"] > 0
    assert summary["sync"] == {"checks": 1, "mismatches": 0}
    assert summary["wrong_answers"] == {} and summary["exceptions"] == 0
    assert (tmp_path / "smoke.html").stat().st_size > 10_000
    assert "all SLOs met" in done.stdout


def test_a_replica_that_misses_changes_fails_the_run(tmp_path):
    """A sync user that drops every upsert of the feed: under churn its replica check must fail the run.

    Run with `--tags catalog_sync` and 3 users: the tag leaves only the catalog sync
    scenario (one user); the others must not be spawned without tasks.
    """
    with simulator(products=500, customers=20, churn=1200.0, log_path=tmp_path / "sim.log") as sim:
        argv = locust_argv(sim.url, "broken", users=3, spawn_rate=3, run_time="6s", reports=tmp_path,
                           sync_poll_seconds=0.5, extra=["-f", str(BROKEN_SYNC_LOCUSTFILE), "--tags", "catalog_sync"])
        result = run_locust(argv, "6s", capture=True)
    assert result.returncode == 1, result.output[-5000:]
    summary = result.summary
    assert set(summary["scenarios"]) == {"catalog_sync"}
    assert summary["exceptions"] == 0, result.output[-5000:]
    assert summary["sync"]["checks"] == 1 and summary["sync"]["mismatches"] == 1
    assert any("product(s) differ" in text for text in summary["wrong_answers"]), summary["wrong_answers"]
    broken = {slo["name"] for slo in summary["slos"] if not slo["ok"]}
    assert "wrong answers" in broken and "user code exceptions" not in broken  # (one failure of few: the ratio breaks too)
    assert "SLO BROKEN: 1 wrong answer(s)" in result.output

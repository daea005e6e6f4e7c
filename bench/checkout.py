"""Checkout section (issue 5): complete checkouts per second, basket add to placed order.

One complete checkout is 8 calls by a logged-in customer (bearer token):
POST /api/v1/basket/items, POST /api/v1/checkout, PUT shipping-address (inline),
PUT billing-address (same as shipping), PUT payment-type (card), PUT delivery-option
(dhl-standard), POST payment (test card 4242…, authorized), POST order
(Idempotency-Key unique per checkout) → 201.

As in sections 3, 6 and 7, the simulator and bench/bare_app.py run under the same serving
configuration (SERVING: gunicorn, 1 gevent worker); runs alternate bare, checkout, bare,
checkout after a warm-up of each, and the best run of each counts.

- The simulator starts with SIM_PASSWORD_HASH_PROFILE=fast and churn off; the stock of
  the products bought is raised to 10^9 first (PATCH /_sim/products/{id}), and they are
  light ones (dhl-standard's first weight band), so no checkout runs out of stock or
  out of delivery options.
- wrk drives the checkouts with bench/wrk_checkout.lua, a state machine per thread, with
  as many threads as connections: each connection is one seeded customer
  (customer{N}@example.test, logged in once before the runs) who walks checkout after
  checkout, waiting for each answer. The script times each complete checkout (its
  p50 / p95) and counts every answer that is not the expected one (2xx; the order 201)
  by status: any makes the run a failed measurement. One probe checkout with `requests`
  runs first, so that a broken step fails the section naming the step and its answer.
- The baseline is wrk (bench/wrk_cycle.lua) POSTing the shipping-address body with the
  same bearer header to /bare/checkout. A checkout takes 8 calls, so the bare server
  could answer at most bare req/s ÷ 8 checkouts a second: the ratio is checkouts/s to
  that. No target was set for it: it is informational.
- The client must not be the bottleneck: the CPU time of wrk (getrusage of the reaped
  child) and of the server's worker are measured over each run and reported as a share
  of one core.
- The orders the customers hold are counted before and after (GET /api/v1/orders, the
  X-Pagination total): the orders placed must match the 201s wrk counted.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from statistics import quantiles

import psutil
import requests

from .basket import STOCK, raise_stock
from .cpu_use import CpuMeter
from .http import add_wrk_notes, bare_and_simulator, check_answer, ms, run_wrk, write_lines, wrk_argv, wrk_binary
from .login import check_login, seeded_login
from .report import RESULTS, ROOT, Row, SectionResult, Target, python_command, relative, shell_command
from .server import ServerProcess

SCRIPT = ROOT / "bench" / "wrk_checkout.lua"
IDS_FILE = RESULTS / "checkout_product_ids.txt"
TOKENS_FILE = RESULTS / "checkout_tokens.txt"
AUTH_FILE = RESULTS / "checkout_authorization.txt"  # "Bearer <token>" lines: the bare runs' header
API = "/api/v1"
BASKET_ITEMS = f"{API}/basket/items"
CHECKOUT = f"{API}/checkout"
ORDERS = f"{API}/orders"
BARE_PATH = "/bare/checkout"
ADDRESS = {"first_name": "Ada", "last_name": "Lovelace", "line1": "Unter den Linden 1", "postal_code": "10117",
           "city": "Berlin", "country": "DE"}
CARD = {"number": "4242424242424242", "expiry_month": 12, "expiry_year": 2031, "cvc": "123"}
#: The steps after opening: method, path after /api/v1/checkout/{id}, body, expected status.
STEPS = [
    ("PUT", "/shipping-address", {"address": ADDRESS}, 200),
    ("PUT", "/billing-address", {"same_as_shipping": True}, 200),
    ("PUT", "/payment-type", {"payment_type": "card"}, 200),
    ("PUT", "/delivery-option", {"delivery_option_id": "dhl-standard"}, 200),
    ("POST", "/payment", {"card": CARD}, 200),
    ("POST", "/order", {}, 201),
]
CALLS_PER_CHECKOUT = 2 + len(STEPS)
#: Products of at most this weight: two in one parcel stay in dhl-standard's first band.
MAX_GRAMS = 2000
APP_SETTINGS = {"password_hash_profile": "fast"}
FULL = {"products": 10_000, "customers": 100, "checkout_products": 8, "threads": 4, "connections": 4,
        "seconds": 8, "warmup": 2, "rounds": 2}
QUICK = {"products": 10_000, "customers": 100, "checkout_products": 8, "threads": 4, "connections": 4,
         "seconds": 3, "warmup": 1, "rounds": 1}


def light_products(server: ServerProcess, count: int) -> list[str]:
    """`count` product ids from the export's first page that weigh at most MAX_GRAMS."""
    answer = check_answer("GET", server.url + "/api/v1/catalog/export", params={"limit": 500})
    ids = [item["id"] for item in answer.json()["items"] if item["weight_grams"] <= MAX_GRAMS][:count]
    if len(ids) < count:
        raise RuntimeError(f"the export's first 500 products hold only {len(ids)} of at most {MAX_GRAMS} g")
    return ids


def log_in(server: ServerProcess, emails: list[str], password: str) -> list[str]:
    """A bearer token for each customer (one login each, before any timing)."""
    check_login(server, emails[0], password)  # says precisely what a broken login answers
    return [check_answer("POST", server.url + "/api/v1/auth/login", json={"email": email, "password": password}).json()["token"]
            for email in emails]


def probe_checkout(server: ServerProcess, token: str, product_id: str) -> None:
    """One complete checkout with `requests`: a step that does not answer as expected fails the section, named."""
    headers = {"Authorization": f"Bearer {token}"}
    with requests.Session() as session:
        session.headers.update(headers)

        def call(method: str, path: str, body: dict, expect: int, **extra) -> dict:
            answer = session.request(method, server.url + path, json=body, timeout=30, **extra)
            if answer.status_code != expect:
                raise RuntimeError(f"probe checkout: {method} {path} answered {answer.status_code} "
                                   f"(expected {expect}): {answer.text[:500]}")
            return answer.json()

        call("POST", BASKET_ITEMS, {"product_id": product_id, "quantity": 1}, 200)
        checkout_id = call("POST", CHECKOUT, {}, 201)["id"]
        for method, suffix, body, expect in STEPS:
            extra = {"headers": {"Idempotency-Key": f"probe-{uuid.uuid4().hex}"}} if suffix == "/order" else {}
            answer = call(method, f"{CHECKOUT}/{checkout_id}{suffix}", body, expect, **extra)
        if answer.get("status") != "placed":
            raise RuntimeError(f"probe checkout: the order is {answer.get('status')!r}, not placed: {json.dumps(answer)[:500]}")


def order_counts(server: ServerProcess, tokens: list[str]) -> list[int]:
    """How many orders each customer has (the X-Pagination total of GET /api/v1/orders)."""
    counts = []
    for token in tokens:
        answer = check_answer("GET", server.url + ORDERS, params={"page_size": 1}, headers={"Authorization": f"Bearer {token}"})
        counts.append(json.loads(answer.headers["X-Pagination"])["total"])
    return counts


def checkout_argv(wrk: str, plan: dict, seconds: int, server: ServerProcess, run_id: str,
                  ids_file: Path = IDS_FILE, tokens_file: Path = TOKENS_FILE) -> list[str]:
    """wrk running bench/wrk_checkout.lua: one customer (token line k) per thread and connection."""
    return [
        wrk, f"-t{plan['threads']}", f"-c{plan['connections']}", f"-d{seconds}s", "--latency",
        "-s", relative(SCRIPT), server.url, "--", API, relative(ids_file), relative(tokens_file), run_id,
    ]


def bare_options() -> dict[str, str]:
    body = json.dumps({"address": ADDRESS}, separators=(",", ":"))
    return {"method": "POST", "body": body, "header": "Authorization", "values": relative(AUTH_FILE), "statuses": "1"}


def measured_run(argv: list[str], seconds: int, server: ServerProcess) -> dict:
    """run_wrk, plus the CPU seconds wrk (the client), the server's worker and the whole machine spent meanwhile."""
    meter = CpuMeter({"server": server.pid})
    meter.mark("run")
    figures = run_wrk(argv, seconds)
    meter.mark(None)
    use = meter.intervals("run")[0]  # wrk's own start and stop included, as its CPU time is
    figures["client_cpu_s"] = use.wrk * use.seconds
    figures["server_cpu_s"] = use.worker_cores("server") * use.seconds
    figures["wall_s"] = use.seconds
    figures["client_cpu_share"] = use.wrk
    figures["server_cpu_share"] = use.worker_cores("server")
    # What else ran on the machine meanwhile (other processes compete for the same CPUs).
    figures["other_cpu_share"] = use.rest
    wall = figures["duration_us"] / 1e6
    if "checkouts" in figures:
        durations = figures.pop("checkout_us")
        if not durations:
            raise RuntimeError(f"no checkout completed in a {seconds} s run ({figures['requests']:,} calls answered)")
        cuts = quantiles(durations, n=100, method="inclusive") if len(durations) > 1 else [durations[0]] * 99
        figures["checkouts_per_s"] = figures["checkouts"] / wall
        figures["checkout_p50_us"], figures["checkout_p95_us"] = cuts[49], cuts[94]
        figures["checkout_max_us"] = max(durations)
        figures["checkout_mean_us"] = sum(durations) / len(durations)
    return figures


def alternate_measured(plan: dict, runs_of: dict[str, tuple[Callable[[int], list[str]], ServerProcess]]
                       ) -> tuple[dict[str, list[dict]], dict[str, dict]]:
    """As http.alternate (a warm-up of each, then rounds of one run of each in turn), with CPU figures.

    Returns the counted runs of each and the warm-up run of each.
    """
    warmups: dict[str, dict] = {}
    for name, (argv, server) in runs_of.items():
        warmups[name] = measured_run(argv(plan["warmup"]), plan["warmup"], server)
    runs: dict[str, list[dict]] = {name: [] for name in runs_of}
    for _ in range(plan["rounds"]):
        for name, (argv, server) in runs_of.items():
            runs[name].append(measured_run(argv(plan["seconds"]), plan["seconds"], server))
    return runs, warmups


def cpu_text(run: dict) -> str:
    return (f"wrk {run['client_cpu_s']:.2f} s CPU in {run['wall_s']:.1f} s = {run['client_cpu_share']:.0%} of a core; "
            f"server worker {run['server_cpu_share']:.0%}; other processes {run['other_cpu_share']:.0%} "
            f"(of {psutil.cpu_count()} CPUs)")


def run(quick: bool = False) -> SectionResult:
    plan = QUICK if quick else FULL
    section = SectionResult("checkout", "Checkouts/s: 8 calls, basket add to placed order (customer, card) vs a bare Flask endpoint")
    wrk = wrk_binary()
    password, seeded_email = seeded_login()
    emails = [seeded_email(n) for n in range(1, plan["connections"] + 2)]  # the last one: the probe's
    with bare_and_simulator("checkout", plan["products"], customers=plan["customers"], **APP_SETTINGS) as (bare, shop):
        product_ids = light_products(shop, plan["checkout_products"])
        write_lines(IDS_FILE, product_ids)
        raise_stock(shop, product_ids)
        *tokens, probe_token = log_in(shop, emails, password)
        write_lines(TOKENS_FILE, tokens)
        write_lines(AUTH_FILE, [f"Bearer {token}" for token in tokens])
        probe_checkout(shop, probe_token, product_ids[0])
        check_answer("POST", bare.url + BARE_PATH, json={"address": ADDRESS}, headers={"Authorization": f"Bearer {tokens[0]}"})
        orders_before = order_counts(shop, tokens)

        runs, warmups = alternate_measured(plan, {
            "bare": (lambda seconds: wrk_argv(wrk, plan, seconds, bare, BARE_PATH, IDS_FILE, bare_options()), bare),
            "checkout": (lambda seconds: checkout_argv(wrk, plan, seconds, shop, uuid.uuid4().hex[:12]), shop),
        })
        orders_placed = sum(after - before for before, after in zip(orders_before, order_counts(shop, tokens)))
        login_line = shell_command(["curl", "-s", "-X", "POST", "-H", "Content-Type: application/json",
                                    "-d", json.dumps({"email": "customer$n@example.test", "password": password}),
                                    shop.url + "/api/v1/auth/login"]).replace("customer$n", "'\"customer$n\"'")
        print_token = f"{python_command()} -c \"import json,sys; print(json.load(sys.stdin)['token'])\""
        patch_stock = shell_command(
            ["curl", "-s", "-o", "/dev/null", "-X", "PATCH", "-H", "Content-Type: application/json", "-d", json.dumps({"stock": STOCK})])
        section.commands = [
            shell_command([python_command(), "-m", "bench", "checkout"]),
            f"{bare.command} &",
            f"{shop.command} &",
            f"{shell_command(['curl', '-s', f'{shop.url}/api/v1/catalog/export?limit=500'])} | {python_command()} -c "
            f"\"import json,sys; print('\\n'.join([i['id'] for i in json.load(sys.stdin)['items'] if i['weight_grams'] <= {MAX_GRAMS}][:{plan['checkout_products']}]))\" "
            f"> {relative(IDS_FILE)}",
            f"for id in $(cat {relative(IDS_FILE)}); do {patch_stock} {shop.url}/_sim/products/$id; done",
            f"for n in $(seq {plan['connections']}); do {login_line} | {print_token}; done > {relative(TOKENS_FILE)}",
            f"sed 's/^/Bearer /' {relative(TOKENS_FILE)} > {relative(AUTH_FILE)}",
            shell_command(wrk_argv("wrk", plan, plan["seconds"], bare, BARE_PATH, IDS_FILE, bare_options())),
            shell_command(checkout_argv("wrk", plan, plan["seconds"], shop, "run1")),
        ]

    counted = runs["checkout"] + [warmups["checkout"]]  # the warm-up's orders are among those placed
    for result in counted:
        if result["calls_per_checkout"] != CALLS_PER_CHECKOUT:
            raise RuntimeError(f"bench/wrk_checkout.lua makes {result['calls_per_checkout']} calls a checkout, not {CALLS_PER_CHECKOUT}")
        # Every answered call belongs to a completed checkout but for one unfinished checkout per connection.
        unfinished = result["requests"] - CALLS_PER_CHECKOUT * result["checkouts"]
        if not 0 <= unfinished <= (CALLS_PER_CHECKOUT - 1) * plan["connections"]:
            raise RuntimeError(f"{result['requests']:,} calls answered for {result['checkouts']:,} complete checkouts")
    completed = sum(result["checkouts"] for result in counted)
    # An order placed while wrk stopped is an order whose 201 it did not count: at most one per connection and run.
    if not completed <= orders_placed <= completed + plan["connections"] * len(counted):
        raise RuntimeError(f"the customers placed {orders_placed:,} orders, wrk counted {completed:,} complete checkouts")

    best_bare = max(runs["bare"], key=lambda r: r["rps"])
    best = max(runs["checkout"], key=lambda r: r["checkouts_per_s"])
    bound = best_bare["rps"] / CALLS_PER_CHECKOUT
    ratio = best["checkouts_per_s"] / bound
    section.figures = {
        "catalog_products": plan["products"],
        "checkout_products": len(product_ids),
        "settings": {**APP_SETTINGS, "churn_per_minute": 0, "stock": STOCK},
        "wrk": {key: plan[key] for key in ("threads", "connections", "seconds", "rounds")},
        "calls_per_checkout": CALLS_PER_CHECKOUT,
        "bare": best_bare,
        "checkout": best,
        "checkouts_per_s": best["checkouts_per_s"],
        "calls_per_s": best["rps"],
        "bare_rps": best_bare["rps"],
        "bare_checkouts_per_s_bound": bound,
        "ratio": ratio,
        "runs_checkouts_per_s": [round(r["checkouts_per_s"], 1) for r in runs["checkout"]],
        "runs_rps": {name: [round(r["rps"], 1) for r in results] for name, results in runs.items()},
        "orders_placed": orders_placed,
        "checkouts_completed_all_runs": completed,
    }
    unexpected = sum(max(r["non_2xx"], 0) for r in runs["bare"] + counted)
    all_checkouts = ", ".join(f"{r['checkouts_per_s']:,.1f}" for r in runs["checkout"])
    all_bare = ", ".join(f"{r['rps']:,.0f}" for r in runs["bare"])
    section.rows.extend([
        Row("complete checkouts/s", f"{best['checkouts_per_s']:,.1f}  (runs: {all_checkouts}; {best['checkouts']:,} in the best)"),
        Row("checkout calls/s (same run)", f"{best['rps']:,.0f}"),
        Row("complete checkout p50 / p95", f"{ms(best['checkout_p50_us'])} / {ms(best['checkout_p95_us'])}  "
                                           f"(mean {ms(best['checkout_mean_us'])}, max {ms(best['checkout_max_us'])})"),
        Row("checkouts per connection (best run)", ", ".join(f"{n:,}" for n in best["checkouts_by_connection"])),
        Row("one call p50 / p99 (wrk, all 8 kinds)", f"{ms(best['p50_us'])} / {ms(best['p99_us'])}"),
        Row("bare Flask POST /bare/checkout req/s", f"{best_bare['rps']:,.0f}  (runs: {all_bare})"),
        Row("calls per checkout", f"{CALLS_PER_CHECKOUT}"),
        Row("bare req/s / calls per checkout", f"{bound:,.1f} checkouts/s"),
        Row("ratio checkouts/s / (bare req/s / 8)", f"{ratio:.3f}",
            Target.informational("checkouts/s vs bare Flask req/s / 8 calls", ratio)),
        Row("client CPU, best checkout run", cpu_text(best)),
        Row("client CPU, best bare run", cpu_text(best_bare)),
        Row("orders placed (all checkout runs, warm-up too)", f"{orders_placed:,}  (wrk counted {completed:,} order 201s)"),
        Row("answers not as expected (all runs)", f"{unexpected:,}  (a run with any fails the section)"),
    ])
    add_wrk_notes(
        section, plan, runs,
        f" (one customer per connection, bench/wrk_checkout.lua), runs alternate bare/checkout x{plan['rounds']}, best of each; "
        f"{len(product_ids)} products "
        f"of <= {MAX_GRAMS} g cycled, stock set to {STOCK:,}; catalog of {plan['products']:,} products; "
        f"SIM_PASSWORD_HASH_PROFILE=fast, churn off; no target set: the ratio is informational (n/a)"
    )
    section.notes.append("rerunning the checkout wrk line by hand: give each run a new last argument (run1, run2, …); "
                         "Idempotency-Key is RUN-connection-n, and a key reused for another checkout answers 422")
    return section

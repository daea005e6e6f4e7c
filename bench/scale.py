"""Section: scaling out on Redis (SIM_STORE=redis://…) against one in-memory worker.

One redis-server (simulator.launch.RedisProcess, nothing written to disk) and three
simulators, alive for the whole section, churn off: `memory` (1 worker, the default
store), `redis-1` (1 worker on Redis) and `redis-2` (2 workers on the same Redis: it
adopts the catalog redis-1 seeded). wrk drives one at a time, as in sections 3 and 6:

1. product read, GET /api/v1/products/{id} cycling over 1,000 ids: redis-1 / memory
   (target ≥ 0.8) and redis-2 / memory (target ≥ 1.4);
2. guest basket add, POST /api/v1/basket/items (the requests of section 6):
   redis-1 / memory (target ≥ 0.5);
3. the Locust default mix's capacity on memory and on redis-2: the largest user count
   with basket-update p95 < 100 ms and no failure, found by bench/load.py's search with
   the same plan for both (doubling from `first_step` to `max_users`, then bisecting;
   Locust gets a process per core once one process is the limit; the two searches take
   their steps in turn, so that both meet the same load on the machine), its requests/s and
   the cores the server's workers, Redis and Locust used meanwhile; redis-2 / memory
   (reported; ≥ 1.0 is the aim). Locust shares the machine's cores with the servers:
   when both searches hold up to their top, the load generator, not the servers, is
   the limit, and the ratio is reported as at least 1.0;
4. Redis memory (INFO used_memory) per 100,000 products and per 10,000 orders, written
   into an empty Redis through the store (reported).

After a warm-up of each, every round runs memory, redis-1, redis-2 one after the other; a
ratio is the median over the rounds of that round's ratio (a round's runs meet the same
load on the machine, while the machine's speed drifts by a fifth between rounds and
runs), with every round's ratio and the best runs' ratio beside it. The servers, redis-server and wrk share this machine's CPUs: beside each best run the
section reports the cores each of them used meanwhile (bench/cpu_use.py), the rest of
the machine's use, and the load average, so that a ratio can be read for what it is.
"""

from __future__ import annotations

import dataclasses
import shutil
import statistics
from contextlib import ExitStack

from simulator.launch import RedisProcess

from .basket import ADD_PATH, TOKENS_FILE, new_baskets, raise_stock, wrk_options
from .basket import IDS_FILE as BASKET_IDS_FILE
from .cpu_use import CpuMeter, load_average
from .http import (
    IDS_FILE,
    PRODUCT_PREFIX,
    alternate,
    best_runs,
    fetch_product_ids,
    paired_ratios,
    rate_rows,
    socket_errors_note,
    write_lines,
    wrk_argv,
    wrk_binary,
)
from .load import P95_LIMIT_MS, SERVER, Search, run_in_turn
from .report import Row, SectionResult, Target, python_command, shell_command
from .server import SERVING, ServerProcess, simulator_server

FULL = {"products": 10_000, "threads": 2, "connections": 50, "seconds": 5, "warmup": 2, "rounds": 5,
        "basket_threads": 4, "basket_connections": 4, "basket_products": 8, "customers": 1000,
        "memory_products": 100_000, "memory_orders": 10_000,
        # the Locust mix's capacity search (bench/load.py Search), per server
        "first_step": 200, "max_users": 1_600, "spawn_rate": 100, "settle_seconds": 5, "measure_seconds": 10,
        "budget_seconds": 170}
QUICK = {"products": 2_000, "threads": 2, "connections": 20, "seconds": 2, "warmup": 1, "rounds": 2,
         "basket_threads": 4, "basket_connections": 4, "basket_products": 8, "customers": 200,
         "memory_products": 10_000, "memory_orders": 1_000,
         "first_step": 20, "max_users": 40, "spawn_rate": 20, "settle_seconds": 2, "measure_seconds": 4, "budget_seconds": 40}
APP = {"max_line_quantity": 10_000, "password_hash_profile": "fast"}
READ_TARGETS = {"redis-1": 0.8, "redis-2": 1.4}
BASKET_TARGET = 0.5
MB = 1024 * 1024


def redis_server(products: int, customers: int, store: str, workers: int, name: str) -> ServerProcess:
    """A simulator on Redis: the serving settings of the bare server but for the number of workers."""
    return ServerProcess(name, "simulator serve", {
        "products": products, "customers": customers, "churn_per_minute": 0, "store": store, **APP, **SERVING, "workers": workers,
    }, ready_path="/api/v1/categories")


def run(quick: bool = False) -> SectionResult:
    plan = QUICK if quick else FULL
    section = SectionResult("scale", "10. Scale-out on Redis: 1 and 2 workers sharing Redis vs 1 in-memory worker")
    if not shutil.which("redis-server"):
        raise RuntimeError("redis-server is not installed (Debian: apt-get install redis-server)")
    wrk = wrk_binary()
    section.notes.append(f"load average (1 / 5 / 15 min) at the start: {load_average()}")
    with ExitStack() as stack:
        redis = stack.enter_context(RedisProcess())
        memory = stack.enter_context(simulator_server(plan["products"], name="scale-memory", customers=plan["customers"], **APP))
        one = stack.enter_context(redis_server(plan["products"], plan["customers"], redis.url, 1, "scale-redis-1"))
        two = stack.enter_context(redis_server(plan["products"], plan["customers"], redis.url, 2, "scale-redis-2"))
        servers = {"memory": memory, "redis-1": one, "redis-2": two}
        meter = CpuMeter({**{name: server.pid for name, server in servers.items()}, "redis-server": redis.process.pid})

        def metered(name: str, argv: list[str]) -> list[str]:  # called just before the run
            meter.mark(name)
            return argv

        # 1. product reads
        write_lines(IDS_FILE, fetch_product_ids(memory))
        reads = alternate(plan, {name: (lambda seconds, s=server, n=name: metered(n, wrk_argv(wrk, plan, seconds, s, PRODUCT_PREFIX)))
                                 for name, server in servers.items()})
        meter.mark(None)
        best = best_runs(reads)
        section.rows.extend(rate_rows(reads, {name: f"GET /api/v1/products/{{id}}, {name}" for name in servers}))
        read_cpu = cpu_rows(section, meter, reads, "product read")
        read_ratios = {name: ratio_row(section, f"product read {name}", reads, name, best, target)
                       for name, target in READ_TARGETS.items()}

        # 2. basket adds, memory vs redis-1
        basket_plan = {**plan, "threads": plan["basket_threads"], "connections": plan["basket_connections"]}
        product_ids = fetch_product_ids(memory, plan["basket_products"])
        write_lines(BASKET_IDS_FILE, product_ids)
        for server in (memory, one):
            raise_stock(server, product_ids)

        def fresh_baskets(name: str) -> None:
            write_lines(TOKENS_FILE, new_baskets(servers[name], basket_plan["connections"]))

        meter.marks.clear()
        adds = alternate(basket_plan, {
            name: (lambda seconds, s=servers[name], n=name: metered(n, wrk_argv(wrk, basket_plan, seconds, s, ADD_PATH, BASKET_IDS_FILE, wrk_options())))
            for name in ("memory", "redis-1")
        }, before=fresh_baskets)
        meter.mark(None)
        best_adds = best_runs(adds)
        section.rows.extend(rate_rows(adds, {"memory": "basket add, memory", "redis-1": "basket add, redis-1"}))
        add_cpu = cpu_rows(section, meter, adds, "basket add")
        add_ratio = ratio_row(section, "basket add redis-1", adds, "redis-1", best_adds, BASKET_TARGET)

        # 3. the Locust default mix's capacity: the two searches' steps in turn, memory first
        searches = {
            "memory": Search(memory.url, plan, {SERVER: memory.pid}, name="scale-memory-step"),
            "redis-2": Search(two.url, plan, {SERVER: two.pid, "redis-server": redis.process.pid}, name="scale-redis-2-step"),
        }
        section.notes.append(f"load average (1 / 5 / 15 min) before the capacity searches: {load_average()}")
        run_in_turn(list(searches.values()))
        for name, search in searches.items():
            section.rows.extend(search.step_rows(f"mix {name}: "))
            section.notes.extend(search.notes(f"mix {name}: "))
        section.notes.append(f"mix searches (the same plan for both): {searches['memory'].plan_note()}")
        for name, search in searches.items():
            section.rows.append(Row(f"Locust mix capacity (basket-update p95 < {P95_LIMIT_MS} ms, 0 failures), {name}", search.found()))
        mix_ratio, mix_text = capacity_ratio(searches["memory"], searches["redis-2"])
        section.rows.append(Row("Locust mix capacity redis-2 / memory", mix_text,
                                Target.informational("Locust mix capacity redis-2 vs memory (aim >= 1.0)", mix_ratio)))
        section.commands = [
            shell_command([python_command(), "-m", "bench", "scale"]),
            shell_command(RedisProcess(port=redis.port).argv()) + " &",
            *(f"{server.command} &" for server in servers.values()),
            shell_command(wrk_argv("wrk", plan, plan["seconds"], one, PRODUCT_PREFIX)),
            shell_command(wrk_argv("wrk", basket_plan, plan["seconds"], one, ADD_PATH, BASKET_IDS_FILE, wrk_options())),
            *searches["redis-2"].step_commands(),
        ]

    # 4. Redis memory per 100,000 products and per 10,000 orders
    per_products, per_orders = redis_memory(plan["memory_products"], plan["memory_orders"])
    section.rows.append(Row("Redis memory per 100,000 products", f"{per_products / MB:,.0f} MiB",
                            Target.informational("Redis MiB per 100,000 products", per_products / MB)))
    section.rows.append(Row("Redis memory per 10,000 orders", f"{per_orders / MB:,.1f} MiB",
                            Target.informational("Redis MiB per 10,000 orders", per_orders / MB)))
    section.figures = {
        "plan": plan,
        "product_read_rps": {name: run["rps"] for name, run in best.items()},
        "product_read_ratio": read_ratios,
        "basket_add_rps": {name: run["rps"] for name, run in best_adds.items()},
        "basket_add_ratio": add_ratio,
        "mix_capacity": {**{name: search.figures() for name, search in searches.items()},
                         "ratio": mix_ratio, "ratio_text": mix_text},
        "cpu_cores_during_best_run": {"product_read": read_cpu, "basket_add": add_cpu},
        "redis_bytes_per_100k_products": per_products,
        "redis_bytes_per_10k_orders": per_orders,
    }
    for runs in (reads, adds):
        if note := socket_errors_note(runs):
            section.notes.append(note)
    section.notes.append("all servers, Redis, wrk and Locust share this machine's CPUs (see the CPU rows: cores each used "
                         "during the best run or step): a worker on Redis pays a round trip per request (the freshness "
                         "check), and the second worker of redis-2 competes with the load generator and Redis for the same CPUs")
    section.notes.append(f"load average (1 / 5 / 15 min) at the end: {load_average()}")
    return section


def ratio_row(section: SectionResult, what: str, runs: dict[str, list[dict]], name: str, best: dict[str, dict],
              target: float) -> float:
    """The row of `name`'s ratio to memory: the median of the rounds' ratios (the target's
    figure), every round's and the best runs' ratio. Returns the median."""
    ratios = paired_ratios(runs, name, "memory")
    ratio = statistics.median(ratios)  # a round the machine slowed on one side moves it least
    rounds = ", ".join(f"{r:.2f}" for r in ratios)
    section.rows.append(Row(f"{what} / memory", f"{ratio:.2f}  (median of rounds: {rounds}; best runs: "
                                                f"{best[name]['rps'] / best['memory']['rps']:.2f})",
                            Target(f"{what} vs 1 in-memory worker", ratio, ">=", target, "")))
    return ratio


def capacity_ratio(memory: Search, redis: Search) -> tuple[float | None, str]:
    """redis-2's capacity over memory's, and how to read it: a search that held at its top
    (or ran out of time) found only a lower bound."""
    if memory.good is None or redis.good is None:
        if memory.good is None and redis.good is None:
            return None, "not measured: neither search held at any step"
        return None, f"not measured: the {'memory' if memory.good is None else 'redis-2'} search held at no step"
    ratio = redis.good / memory.good
    if memory.at_top and redis.at_top:
        return 1.0, f">= 1.0 (both at the top, {redis.good:,} users: the load generator, not the servers, is the limit)"
    if memory.bad is None and redis.bad is None:
        return ratio, f"{ratio:.2f} (both lower bounds: the searches ran out of time)"
    if redis.bad is None:
        return ratio, f">= {ratio:.2f} (redis-2 held at {redis.good:,} users, its last step)"
    if memory.bad is None:
        return ratio, f"<= {ratio:.2f} (memory held at {memory.good:,} users, its last step)"
    return ratio, f"{ratio:.2f} ({redis.good:,} vs {memory.good:,} users, each within a quarter)"


def cpu_rows(section: SectionResult, meter: CpuMeter, runs: dict[str, list[dict]], what: str) -> dict[str, dict]:
    """A row per server: the cores each process used during its best run (the first interval
    of each name is its warm-up), and its requests/s per core its workers used."""
    figures = {}
    for name, results in runs.items():
        best = max(range(len(results)), key=lambda n: results[n]["rps"])
        use = meter.intervals(name)[1 + best]
        per_core = results[best]["rps"] / max(use.worker_cores(name), 1e-9)
        section.rows.append(Row(f"{what}, {name}: CPU during the best run (cores)", use.describe(name)))
        section.rows.append(Row(f"{what}, {name}: req/s per worker core", f"{per_core:,.0f}"))
        figures[name] = {"groups": use.groups, "wrk": use.wrk, "machine": use.machine, "rps_per_worker_core": per_core}
    return figures


def redis_memory(products: int, orders: int) -> tuple[float, float]:
    """Bytes of Redis memory per 100,000 products and per 10,000 orders, as the store writes them."""
    from simulator.catalog.model import PRODUCT
    from simulator.config import Settings
    from simulator.orders.model import ORDER
    from simulator.records import KINDS, LOCAL_KINDS
    from simulator.runtime import build_store
    from simulator.seed.catalog import faker_pools, generate_categories, generate_products
    from simulator.store.codec import Codec
    from simulator.store.redis import RedisStore
    from simulator.store.redis_connections import connect

    template = build_store(Settings(products=100, customers=20)).values(ORDER)[0]
    with RedisProcess() as redis:
        client = connect(redis.url)
        store = RedisStore(client, Codec(KINDS), "bench", 42, local_kinds=LOCAL_KINDS)

        def used() -> int:
            return int(client.info("memory")["used_memory"])

        empty = used()
        store.load(PRODUCT, generate_products(42, products, generate_categories(42)[1], faker_pools(42)))
        with_products = used()
        store.load(ORDER, (dataclasses.replace(template, id=f"ord_{n:012d}", owner_id=f"cus_{n % 1000:012d}") for n in range(orders)))
        with_orders = used()
    return (with_products - empty) * 100_000 / products, (with_orders - with_products) * 10_000 / orders

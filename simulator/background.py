"""Work the server does on its own, between requests: one loop per job, each a greenlet
under gevent. Tests drive the same functions directly instead (`create_app` starts
these only with `background=True`, as the server does)."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable

from simulator import idempotency
from simulator.basket import service as baskets
from simulator.orders import service as orders
from simulator.webhooks import dispatcher as webhooks

log = logging.getLogger(__name__)


def every(name: str, interval: float, get_runtime: Callable[[], Any], work: Callable[[Any], object]) -> threading.Thread:
    """Run `work(runtime)` every `interval` real seconds; one failing round never ends the loop."""

    def run() -> None:
        while True:
            time.sleep(interval)
            try:
                work(get_runtime())
            except Exception:
                log.exception("%s failed", name)

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread


def start(get_runtime: Callable[[], Any]) -> list[threading.Thread]:
    """Catalog churn, the order lifecycle (so status events go out on time, read or not),
    webhook delivery, and the sweeps that keep expired records from piling up."""
    return [
        every("catalog-churn", 1.0, get_runtime, lambda sim: sim.churn.tick(sim.store, sim.clock, sim.settings.churn_per_minute)),
        every("order-lifecycle", 1.0, get_runtime, lambda sim: orders.lifecycle_tick(sim.store, sim.clock, orders.OrderTimings.from_settings(sim.settings))),
        every("webhook-dispatcher", 0.2, get_runtime, webhooks.dispatch_due),
        every("idempotency-sweep", idempotency.SWEEP_INTERVAL_SECONDS, get_runtime,
              lambda sim: idempotency.sweep_expired(sim.store, sim.clock.timestamp())),
        every("guest-basket-sweep", baskets.SWEEP_INTERVAL_SECONDS, get_runtime,
              lambda sim: baskets.sweep_expired(sim.store, sim.clock, baskets.BasketRules.from_settings(sim.settings))),
    ]

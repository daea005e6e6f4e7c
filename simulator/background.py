"""Work the server does on its own, between requests: one loop per job, each a greenlet
under gevent. Tests drive the same functions directly instead (`create_app` starts
these only with `background=True`, as the server does).

With several workers sharing a store, every worker runs the loops, but a round of work
that must happen once (churn, the order lifecycle, webhook delivery, sweeps) runs only
on the worker holding the leader lease (`Runtime.takes_turn`); when it dies another
takes over within a few seconds."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from simulator import idempotency
from simulator.basket import service as baskets
from simulator.checkout import service as checkouts
from simulator.customers import lockout, signup_limit
from simulator.orders import service as orders
from simulator.webhooks import dispatcher as webhooks

log = logging.getLogger(__name__)


def every(name: str, interval: float, get_runtime: Callable[[], Any], work: Callable[[Any], object],
          leader_only: bool = True) -> threading.Thread:
    """Run `work(runtime)` every `interval` real seconds; one failing round never ends the loop."""

    def run() -> None:
        unavailable_since = None
        while True:
            time.sleep(interval)
            runtime = get_runtime()
            try:
                if runtime.takes_turn(leader_only):
                    work(runtime)
                unavailable_since = None
            except runtime.unavailable as error:
                if unavailable_since is None:  # said once, not every round while the store is away
                    log.warning("%s paused: the store is unavailable (%s)", name, error)
                    unavailable_since = time.monotonic()
            except Exception:
                log.exception("%s failed", name)

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread


def churn(sim: Any) -> int:
    """The catalog changes due since the previous call."""
    return sim.churn.tick(sim.store, sim.clock, sim.settings.churn_per_minute)


def order_lifecycle(sim: Any) -> int:
    """The next bounded part of the sweep over live orders (so status events go out on time, read or not)."""
    return orders.lifecycle_tick(sim.store, sim.clock, orders.OrderTimings.from_settings(sim.settings))


def apply_due(sim: Any) -> None:
    """Apply now what the clock makes due: catalog churn and order moves, with the events
    they publish. The loops below do it every second; the clock controls call it so that
    their answer already shows what moving the clock made due."""
    churn(sim)
    orders.catch_up_all(sim.store, sim.clock, orders.OrderTimings.from_settings(sim.settings))


def start(get_runtime: Callable[[], Any]) -> list[threading.Thread]:
    """Catalog churn, the order lifecycle (so status events go out on time, read or not),
    webhook delivery, and the sweeps that keep expired records from piling up."""
    shared = [every(name, interval, get_runtime, work, leader_only=False) for name, interval, work in get_runtime().shared_jobs()]
    return shared + [
        every("catalog-churn", 1.0, get_runtime, churn),
        every("order-lifecycle", 1.0, get_runtime, order_lifecycle),
        every("webhook-dispatcher", 0.2, get_runtime, webhooks.dispatch_due),
        every("idempotency-sweep", idempotency.SWEEP_INTERVAL_SECONDS, get_runtime,
              lambda sim: idempotency.sweep_expired(sim.store, sim.clock.timestamp())),
        every("guest-basket-sweep", baskets.SWEEP_INTERVAL_SECONDS, get_runtime,
              lambda sim: baskets.sweep_expired(sim.store, sim.clock, baskets.BasketRules.from_settings(sim.settings))),
        every("checkout-sweep", checkouts.SWEEP_INTERVAL_SECONDS, get_runtime,
              lambda sim: checkouts.sweep_expired(sim.store, sim.clock, sim.settings.checkout_ttl_seconds)),
        every("login-failures-sweep", lockout.SWEEP_INTERVAL_SECONDS, get_runtime, lambda sim: lockout.sweep_expired(sim.store, sim.clock)),
        every("registration-counts-sweep", lockout.SWEEP_INTERVAL_SECONDS, get_runtime,
              lambda sim: signup_limit.sweep_expired(sim.store, sim.clock)),
    ]

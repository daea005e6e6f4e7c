"""Domain faults: bad luck a service meets now and then, such as a card declined or a
product selling out between basket and order.

A service asks `hit("sold_out")` and applies the ordinary rules to what follows. Who
decides is not its business: while serving a request, the simulation middleware
installs a decider (`deciding`) that draws from the simulation's seeded stream at the
configured rate and counts hits in /_sim/stats; `X-Sim-Fault: sold_out` forces the
fault for that one request. Outside a request nothing decides, and only a forced fault
hits. Plain Python, below both the services and the simulation, so neither imports
the other for this.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar

NAMES: dict[str, str] = {
    "card_declined": "a card payment is declined (as the test card 4000000000000002 would be)",
    "sold_out": "a product sells out between basket and order (INSUFFICIENT_STOCK at order time)",
    "price_changed": "a price changes at checkout (the order is refused as CHECKOUT_OUTDATED)",
}

#: (fault, forced for this request) → whether it happens now; the decider counts hits.
Decider = Callable[[str, bool], bool]

# One value per request context (thread or greenlet): never shared between requests.
_DECIDER: ContextVar[Decider | None] = ContextVar("alegra_sim_domain_fault_decider", default=None)
_FORCED: ContextVar[frozenset[str]] = ContextVar("alegra_sim_forced_domain_faults", default=frozenset())


@contextlib.contextmanager
def deciding(decider: Decider | None, forced: str | None = None) -> Iterator[None]:
    """While serving one request: `hit` asks `decider`, and the fault `forced` always hits."""
    decider_token = _DECIDER.set(decider)
    forced_token = _FORCED.set(frozenset((forced,)) if forced else frozenset())
    try:
        yield
    finally:
        _FORCED.reset(forced_token)
        _DECIDER.reset(decider_token)


def hit(kind: str) -> bool:
    """Does this operation meet the domain fault `kind` now?"""
    if kind not in NAMES:
        raise ValueError(f"unknown domain fault {kind!r}; known: {', '.join(NAMES)}")
    forced = kind in _FORCED.get()
    decide = _DECIDER.get()
    return decide(kind, forced) if decide is not None else forced

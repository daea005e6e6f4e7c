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

from collections.abc import Callable
from contextvars import ContextVar

NAMES: dict[str, str] = {
    "card_declined": "a card payment is declined (as the test card 4000000000000002 would be)",
    "sold_out": "a product sells out between basket and order (INSUFFICIENT_STOCK at order time)",
    "price_changed": "a price changes at checkout (the order is refused as CHECKOUT_OUTDATED)",
}

#: (fault, forced for this request) → whether it happens now; the decider counts hits.
Decider = Callable[[str, bool], bool]

# One value per request context (thread or greenlet): never shared between requests.
# The decider and the faults forced, together: one variable set per request.
_NOTHING_FORCED: frozenset[str] = frozenset()
_CURRENT: ContextVar[tuple[Decider | None, frozenset[str]]] = ContextVar(
    "alegra_sim_domain_fault_decider", default=(None, _NOTHING_FORCED))


class deciding:  # lower case: used as the function it once was, `with deciding(...)`
    """While serving one request: `hit` asks `decider`, and the fault `forced` always hits.

    A class rather than a generator context manager: every simulated request enters one,
    and this costs a fraction of what `contextlib.contextmanager` does."""

    __slots__ = ("_value", "_token")

    def __init__(self, decider: Decider | None, forced: str | None = None) -> None:
        self._value = (decider, frozenset((forced,)) if forced else _NOTHING_FORCED)

    def __enter__(self) -> None:
        self._token = _CURRENT.set(self._value)

    def __exit__(self, *exc_info: object) -> None:
        _CURRENT.reset(self._token)


def hit(kind: str) -> bool:
    """Does this operation meet the domain fault `kind` now?"""
    if kind not in NAMES:
        raise ValueError(f"unknown domain fault {kind!r}; known: {', '.join(NAMES)}")
    decide, forced_kinds = _CURRENT.get()
    forced = kind in forced_kinds
    return decide(kind, forced) if decide is not None else forced


def drawn_once() -> Callable[[str], bool]:
    """`hit` for work that may run more than once (a store transaction runs again after a
    racing write, its writes discarded): each fault is drawn, and counted, at its first ask
    only; a run again meets the same luck."""
    drawn: dict[str, bool] = {}

    def once(kind: str) -> bool:
        if kind not in drawn:
            drawn[kind] = hit(kind)
        return drawn[kind]

    return once

"""Who is calling, as baskets, checkouts and orders are owned: a customer by bearer
token, or a guest by `X-Basket-Token`. Shared by the basket, checkout and order routes."""

from __future__ import annotations

from collections.abc import Callable

from flask import request

from simulator.customers import auth
from simulator.customers.auth import optional_customer
from simulator.errors import authentication_required
from simulator.http.blueprints import runtime
from simulator.order_history import ORDER
from simulator.runtime import Runtime
from simulator.store import ReadAhead

from . import service
from .model import BASKET

BASKET_TOKEN = "X-Basket-Token"
_BASKET_TOKEN_ENVIRON = "HTTP_" + BASKET_TOKEN.upper().replace("-", "_")  # as the WSGI environ names it
#: What any answer about the caller's basket may be, for a guest (for the OpenAPI document).
NO_BASKET = f"`BASKET_NOT_FOUND`: there is no basket for this `{BASKET_TOKEN}` (it may have expired)."


_rules_of: tuple[object, service.BasketRules] | None = None  # (settings, their rules): asked several times a request


def basket_rules(sim: Runtime | None = None) -> service.BasketRules:
    """The basket rules of the settings in force (new settings are a new object). A caller
    holding the runtime passes it: looking it up again is a context-local read."""
    global _rules_of
    settings, kept = (sim or runtime()).settings, _rules_of
    if kept is None or kept[0] is not settings:
        kept = _rules_of = (settings, service.BasketRules.from_settings(settings))
    return kept[1]


def _guest_token() -> str:
    token = request.headers.get(BASKET_TOKEN)
    if token is None:
        raise authentication_required(f"Send `Authorization: Bearer <token>` as a customer, or `{BASKET_TOKEN}` as a guest.")
    return token.strip()


def caller_basket(sim: Runtime | None = None):
    """The customer's basket with a bearer token, else the guest basket of X-Basket-Token."""
    sim = sim or runtime()
    customer = optional_customer()
    if customer is not None:
        return service.customer_basket(sim.store, sim.clock, customer.id)
    return service.guest_basket(sim.store, sim.clock, basket_rules(sim), _guest_token())


#: What a basket's request reads of the caller's: their basket, and a customer's orders
#: (first-order promotions).
BASKET_READS = {"customer_owns": (BASKET, ORDER), "guest_owns": (BASKET,)}


def read_ahead(environ: dict, customer_owns: tuple[str, ...], guest_owns: tuple[str, ...]) -> ReadAhead | None:
    """What a request of the caller reads first, from the WSGI environ: a customer's session,
    the customer and the records of `customer_owns` kinds they own; or the records of
    `guest_owns` kinds of the guest of X-Basket-Token."""
    if "HTTP_AUTHORIZATION" in environ:  # as optional_customer: a bearer token wins over a basket token
        return auth.read_ahead(environ, owned=customer_owns)
    token = environ.get(_BASKET_TOKEN_ENVIRON, "").strip()
    return ReadAhead(owner=service.guest_owner(token), owned=guest_owns) if token else None


def read_ahead_under(path: str, customer_owns: tuple[str, ...], guest_owns: tuple[str, ...]) -> Callable[[dict], ReadAhead | None]:
    """`read_ahead` for requests to `path` or below it; None for others (a route group's own)."""
    below = path + "/"

    def ahead(environ: dict) -> ReadAhead | None:
        requested = environ.get("PATH_INFO", "")
        return read_ahead(environ, customer_owns, guest_owns) if requested == path or requested.startswith(below) else None

    return ahead


def caller_owner_id() -> str:
    """Who the caller is, as checkouts and orders are owned: the customer, or the guest of
    X-Basket-Token. Reads nothing and creates nothing."""
    customer = optional_customer()
    return customer.id if customer is not None else service.guest_owner(_guest_token())



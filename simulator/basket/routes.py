"""Basket webservices: the caller's basket (customer by bearer token, guest by
X-Basket-Token), its lines and coupons."""

from __future__ import annotations

from flask import url_for

from simulator.http.blueprints import Blueprint, etag, if_match_version, json_response, runtime
from simulator.http.openapi import CALLER_SECURITY, IF_MATCH, LOCATION
from simulator.schemas import ProblemSchema

from . import callers, service
from .callers import NO_BASKET, basket_rules, caller_basket
from .schemas import AddItemSchema, BasketSchema, CouponSchema, GuestBasketSchema, SetQuantitySchema
from .serialize import basket_to_dict

blp = Blueprint(
    "basket", __name__, url_prefix="/api/v1", description="The basket: lines, coupons, promotions and totals, all computed here.",
    security=CALLER_SECURITY,
)
_BASKET_PATH = f"{blp.url_prefix}/basket"  # the caller's basket; not /baskets, which makes a new one


#: The first reads of a request to the caller's basket (callers.read_ahead), for a shared store
#: to bring with the request's freshness check; None for other routes.
read_ahead = callers.read_ahead_under(_BASKET_PATH, **callers.BASKET_READS)


def basket_answer(basket, status: int = 200, sim=None):
    sim = sim or runtime()
    view = service.view(sim.store, sim.clock, basket, basket_rules(sim))
    body = basket_to_dict(view, sim.settings.currency, sim.settings.base_url)
    return json_response(body, status, {"ETag": etag(basket.version)})


def change_caller_basket(action, *args, **kwargs):
    """`action(store, clock, basket, *args, **kwargs)` on the caller's basket, guarded by If-Match."""
    sim = runtime()
    return basket_answer(action(sim.store, sim.clock, caller_basket(sim), *args, expected_version=if_match_version(), **kwargs), sim=sim)


@blp.route("/baskets", methods=["POST"])
@blp.response(201, GuestBasketSchema, headers=LOCATION)
@blp.doc(security=[])  # anyone may start a guest basket
def create_guest_basket():
    """A new guest basket; its token reaches it (send it as X-Basket-Token)."""
    sim = runtime()
    basket, token = service.create_guest_basket(sim.store, sim.clock, basket_rules())
    return json_response({"id": basket.id, "token": token}, 201, {"Location": url_for("basket.get_basket")})


@blp.route("/basket", methods=["GET"])
@blp.response(200, BasketSchema)
@blp.alt_response(404, schema=ProblemSchema, description=NO_BASKET)
def get_basket():
    """The caller's basket, re-priced now."""
    return basket_answer(caller_basket())


@blp.route("/basket", methods=["DELETE"])
@blp.response(200, BasketSchema)
@blp.alt_response(404, schema=ProblemSchema, description=NO_BASKET)
@blp.doc(parameters=[IF_MATCH])
def empty_basket():
    """Remove every line and coupon."""
    return change_caller_basket(service.empty)


@blp.route("/basket/items", methods=["POST"])
@blp.arguments(AddItemSchema)
@blp.response(200, BasketSchema)
@blp.alt_response(404, schema=ProblemSchema, description=f"`PRODUCT_NOT_FOUND`. {NO_BASKET}")
@blp.alt_response(409, schema=ProblemSchema, description="INSUFFICIENT_STOCK (with `available`), PRODUCT_UNAVAILABLE, BASKET_FULL")
@blp.doc(parameters=[IF_MATCH])
def add_basket_item(args):
    """Add a product; the same product again adds up on its line."""
    return change_caller_basket(service.add_item, args["product_id"], args["quantity"], rules=basket_rules())


@blp.route("/basket/items/<item_id>", methods=["PATCH"])
@blp.arguments(SetQuantitySchema)
@blp.response(200, BasketSchema)
@blp.alt_response(404, schema=ProblemSchema, description=f"`BASKET_ITEM_NOT_FOUND`. {NO_BASKET}")
@blp.alt_response(409, schema=ProblemSchema, description="INSUFFICIENT_STOCK (with `available`), PRODUCT_UNAVAILABLE")
@blp.doc(parameters=[IF_MATCH])
def set_basket_item_quantity(args, item_id):
    """Change a line's quantity (0 removes it)."""
    return change_caller_basket(service.set_quantity, item_id, args["quantity"], rules=basket_rules())


@blp.route("/basket/items/<item_id>", methods=["DELETE"])
@blp.response(200, BasketSchema)
@blp.alt_response(404, schema=ProblemSchema, description=f"`BASKET_ITEM_NOT_FOUND`. {NO_BASKET}")
@blp.doc(parameters=[IF_MATCH])
def remove_basket_item(item_id):
    """Remove a line."""
    return change_caller_basket(service.remove_item, item_id)


@blp.route("/basket/coupons", methods=["POST"])
@blp.arguments(CouponSchema)
@blp.response(200, BasketSchema)
@blp.alt_response(404, schema=ProblemSchema, description=NO_BASKET)
@blp.alt_response(422, schema=ProblemSchema, description="COUPON_UNKNOWN")
@blp.doc(parameters=[IF_MATCH])
def apply_basket_coupon(args):
    """Apply a coupon. One that exists but does not apply stays, with its state and reason."""
    return change_caller_basket(service.apply_coupon, args["code"])


@blp.route("/basket/coupons/<code>", methods=["DELETE"])
@blp.response(200, BasketSchema)
@blp.alt_response(404, schema=ProblemSchema, description=f"`COUPON_NOT_ON_BASKET`. {NO_BASKET}")
@blp.doc(parameters=[IF_MATCH])
def remove_basket_coupon(code):
    """Take a coupon off the basket."""
    return change_caller_basket(service.remove_coupon, code)

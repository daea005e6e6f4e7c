"""Basket webservices: the caller's basket (customer by bearer token, guest by
X-Basket-Token), its lines and coupons; and the promotions in force."""

from __future__ import annotations

from flask import request

from simulator.customers.auth import optional_customer
from simulator.errors import DomainError
from simulator.schemas import ProblemSchema
from simulator.web import Blueprint, etag, if_match_version, json_response, runtime

from . import promotions, service
from .schemas import AddItemSchema, BasketSchema, CouponSchema, GuestBasketSchema, PromotionSchema, SetQuantitySchema
from .serialize import basket_to_dict, promotion_to_dict

blp = Blueprint("basket", __name__, url_prefix="/api/v1", description="The basket: lines, coupons, promotions and totals, all computed here.")

BASKET_TOKEN = "X-Basket-Token"


def basket_rules() -> service.BasketRules:
    settings = runtime().settings
    return service.BasketRules(max_line_quantity=settings.max_line_quantity, guest_ttl_seconds=settings.guest_basket_ttl_seconds)


def _guest_token() -> str:
    token = request.headers.get(BASKET_TOKEN)
    if token is None:
        raise DomainError(
            401, "BASKET_CREDENTIALS_REQUIRED",
            f"Send `Authorization: Bearer <token>` as a customer, or `{BASKET_TOKEN}` as a guest.",
            headers={"WWW-Authenticate": 'Bearer realm="alegra-sim"'},
        )
    return token.strip()


def caller_basket():
    """The customer's basket with a bearer token, else the guest basket of X-Basket-Token."""
    sim = runtime()
    customer = optional_customer()
    if customer is not None:
        return service.customer_basket(sim.store, sim.clock, customer.id)
    return service.guest_basket(sim.store, sim.clock, basket_rules(), _guest_token())


def caller_owner_id() -> str:
    """Who the caller is, as checkouts and orders are owned: the customer, or the guest of
    X-Basket-Token. Reads nothing and creates nothing."""
    customer = optional_customer()
    return customer.id if customer is not None else service.guest_owner(_guest_token())


def basket_answer(basket, status: int = 200):
    sim = runtime()
    view = service.view(sim.store, sim.clock, basket, basket_rules())
    body = basket_to_dict(view, sim.settings.currency, sim.settings.base_url)
    return json_response(body, status, {"ETag": etag(basket.version)})


def change_caller_basket(action, *args, **kwargs):
    """`action(store, clock, basket_id, *args, **kwargs)` on the caller's basket, guarded by If-Match."""
    sim = runtime()
    basket = caller_basket()
    return basket_answer(action(sim.store, sim.clock, basket.id, *args, expected_version=if_match_version(), **kwargs))


@blp.route("/baskets", methods=["POST"])
@blp.response(201, GuestBasketSchema)
def create_guest_basket():
    """A new guest basket; its token reaches it (send it as X-Basket-Token)."""
    sim = runtime()
    basket, token = service.create_guest_basket(sim.store, sim.clock, basket_rules())
    return json_response({"id": basket.id, "token": token}, 201)


@blp.route("/basket", methods=["GET"])
@blp.response(200, BasketSchema)
@blp.alt_response(401, schema=ProblemSchema)
@blp.alt_response(404, schema=ProblemSchema)
def get_basket():
    """The caller's basket, re-priced now."""
    return basket_answer(caller_basket())


@blp.route("/basket", methods=["DELETE"])
@blp.response(200, BasketSchema)
def empty_basket():
    """Remove every line and coupon."""
    return change_caller_basket(service.empty)


@blp.route("/basket/items", methods=["POST"])
@blp.arguments(AddItemSchema)
@blp.response(200, BasketSchema)
@blp.alt_response(409, schema=ProblemSchema, description="INSUFFICIENT_STOCK (with `available`), PRODUCT_UNAVAILABLE, BASKET_FULL")
@blp.alt_response(412, schema=ProblemSchema)
def add_item(args):
    """Add a product; the same product again adds up on its line."""
    return change_caller_basket(service.add_item, args["product_id"], args["quantity"], rules=basket_rules())


@blp.route("/basket/items/<item_id>", methods=["PATCH"])
@blp.arguments(SetQuantitySchema)
@blp.response(200, BasketSchema)
@blp.alt_response(404, schema=ProblemSchema)
@blp.alt_response(409, schema=ProblemSchema)
def set_quantity(args, item_id):
    """Change a line's quantity (0 removes it)."""
    return change_caller_basket(service.set_quantity, item_id, args["quantity"], rules=basket_rules())


@blp.route("/basket/items/<item_id>", methods=["DELETE"])
@blp.response(200, BasketSchema)
@blp.alt_response(404, schema=ProblemSchema)
def remove_item(item_id):
    """Remove a line."""
    return change_caller_basket(service.remove_item, item_id)


@blp.route("/basket/coupons", methods=["POST"])
@blp.arguments(CouponSchema)
@blp.response(200, BasketSchema)
@blp.alt_response(422, schema=ProblemSchema, description="COUPON_UNKNOWN")
def apply_coupon(args):
    """Apply a coupon. One that exists but does not apply stays, with its state and reason."""
    return change_caller_basket(service.apply_coupon, args["code"])


@blp.route("/basket/coupons/<code>", methods=["DELETE"])
@blp.response(200, BasketSchema)
@blp.alt_response(404, schema=ProblemSchema)
def remove_coupon(code):
    """Take a coupon off the basket."""
    return change_caller_basket(service.remove_coupon, code)


@blp.route("/promotions", methods=["GET"])
@blp.response(200, PromotionSchema(many=True))
def list_promotions():
    """The promotions in force now, for display (coupon codes are not revealed)."""
    sim = runtime()
    active = promotions.active_promotions(sim.store, sim.clock.now())
    return json_response([promotion_to_dict(p, sim.settings.currency, reveal_code=False) for p in active])

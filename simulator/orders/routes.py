"""Order webservices: placing one from a checkout, the caller's orders, one order, cancel."""

from __future__ import annotations

from flask import request

from simulator import idempotency
from simulator.basket.callers import basket_rules, caller_owner_id, read_ahead_under
from simulator.http.blueprints import Blueprint, if_match_version, runtime
from simulator.http.openapi import CALLER_SECURITY, IDEMPOTENCY_KEY, IF_MATCH, LOCATION
from simulator.schemas import ProblemSchema

from . import placement, service
from .answers import order_answer, page_answer, timings
from .model import ORDER
from .schemas import CancelOrderSchema, OrderListArgs, OrderSchema, PlaceOrderSchema

blp = Blueprint("orders", __name__, url_prefix="/api/v1", description="Orders: list, detail, cancel.", security=CALLER_SECURITY)
NO_ORDER = "`ORDER_NOT_FOUND` (also for another caller's order)."

#: The caller and their orders, read ahead by a shared store with the request's freshness check.
read_ahead = read_ahead_under(f"{blp.url_prefix}/orders", customer_owns=(ORDER,), guest_owns=(ORDER,))


# Documented with the checkout steps, where a frontend looks for it; placing is the orders' business.
@blp.route("/checkout/<checkout_id>/order", methods=["POST"], tags=["checkout"])
@blp.arguments(PlaceOrderSchema(), required=False)
@blp.response(201, OrderSchema, headers=LOCATION)
@blp.alt_response(404, schema=ProblemSchema, description="`CHECKOUT_NOT_FOUND` (also for another caller's checkout).")
@blp.alt_response(409, schema=ProblemSchema, description="A missing step, CHECKOUT_OUTDATED, INSUFFICIENT_STOCK, CHECKOUT_COMPLETED")
@blp.alt_response(422, schema=ProblemSchema, description="IDEMPOTENCY_KEY_REUSED")
@blp.doc(parameters=[IDEMPOTENCY_KEY])
def place_order(args, checkout_id):
    """Place the order: stock taken atomically, the basket emptied, a confirmation mailed."""
    sim = runtime()
    order, replayed = placement.place_order(
        sim.store, sim.clock, basket_rules(), timings(), caller_owner_id(), checkout_id, idempotency.header_key(request.headers), args,
    )
    headers = {"Location": f"/api/v1/orders/{order.id}"}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return order_answer(order, 201, headers)


@blp.route("/orders", methods=["GET"])
@blp.arguments(OrderListArgs, location="query", as_kwargs=True)
@blp.response(200, OrderSchema(many=True))
@blp.paginate()
def list_orders(pagination_parameters, status=None):
    """The caller's orders, newest first; filter by `status`; paginated (`X-Pagination`)."""
    sim = runtime()
    return page_answer(pagination_parameters, service.list_orders(
        sim.store, sim.clock, timings(), caller_owner_id(), status,
        pagination_parameters.page, pagination_parameters.page_size,
    ))


@blp.route("/orders/<order_id>", methods=["GET"])
@blp.response(200, OrderSchema)
@blp.alt_response(404, schema=ProblemSchema, description=NO_ORDER)
def get_order(order_id):
    """One order, by its id or its number (`AS-100042`): lines as placed, totals, addresses, payment, delivery, status history."""
    sim = runtime()
    return order_answer(service.get_order(sim.store, sim.clock, timings(), caller_owner_id(), order_id))


@blp.route("/orders/<order_id>/cancel", methods=["POST"])
@blp.arguments(CancelOrderSchema)
@blp.response(200, OrderSchema)
@blp.alt_response(404, schema=ProblemSchema, description=NO_ORDER)
@blp.alt_response(409, schema=ProblemSchema, description="ORDER_NOT_CANCELLABLE")
@blp.doc(parameters=[IF_MATCH])
def cancel_order(args, order_id):
    """Cancel (the order named by its id or number) with a reason while awaiting payment, placed, paid or processing."""
    sim = runtime()
    order = service.cancel(sim.store, sim.clock, timings(), caller_owner_id(), order_id, args["reason"], if_match_version())
    return order_answer(order)

"""/_sim/orders: every caller's orders, and order controls such as a bank transfer arriving."""

from __future__ import annotations

from simulator.http.admin import AdminBlueprint
from simulator.http.blueprints import runtime
from simulator.schemas import ProblemSchema

from . import service
from .answers import order_answer, page_answer, timings
from .schemas import OrderListArgs, OrderSchema

blp = AdminBlueprint("sim_orders", __name__, description="Every caller's orders, and order controls (simulator).")


@blp.route("/orders", methods=["GET"])
@blp.arguments(OrderListArgs, location="query", as_kwargs=True)
@blp.response(200, OrderSchema(many=True))
@blp.paginate()
def list_all_orders(pagination_parameters, status=None):
    """Every customer's and guest's orders, newest first; filter by `status`; paginated (`X-Pagination`)."""
    sim = runtime()
    return page_answer(pagination_parameters, service.list_all_orders(
        sim.store, sim.clock, timings(), status, pagination_parameters.page, pagination_parameters.page_size,
    ))


@blp.route("/orders/<order_id>/payment-received", methods=["POST"])
@blp.response(200, OrderSchema)
@blp.alt_response(404, schema=ProblemSchema, description="`ORDER_NOT_FOUND`")
@blp.alt_response(409, schema=ProblemSchema, description="ORDER_NOT_AWAITING_PAYMENT")
def receive_order_payment(order_id):
    """Simulate the bank transfer of an order arriving: awaiting_payment → paid."""
    sim = runtime()
    return order_answer(service.mark_paid(sim.store, sim.clock, timings(), order_id))

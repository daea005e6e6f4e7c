"""/_sim/orders: every caller's orders, and order controls such as a bank transfer arriving."""

from __future__ import annotations

from simulator.http.admin import AdminBlueprint
from simulator.http.blueprints import json_response, runtime
from simulator.schemas import ProblemSchema

from . import service
from .routes import order_answer, timings
from .schemas import OrderListArgs, OrderSchema
from .serialize import order_to_dict

blp = AdminBlueprint("sim_orders", __name__, description="Every caller's orders, and order controls (simulator).")


@blp.route("/orders", methods=["GET"])
@blp.arguments(OrderListArgs, location="query", as_kwargs=True)
@blp.response(200, OrderSchema(many=True))
@blp.paginate()
def list_all_orders(pagination_parameters, status=None):
    """Every customer's and guest's orders, newest first; filter by `status`; paginated (`X-Pagination`)."""
    sim = runtime()
    page, total = service.list_all_orders(
        sim.store, sim.clock, timings(), status, pagination_parameters.page, pagination_parameters.page_size,
    )
    pagination_parameters.item_count = total
    return json_response([order_to_dict(order, sim.settings.currency) for order in page])


@blp.route("/orders/<order_id>/payment-received", methods=["POST"])
@blp.response(200, OrderSchema)
@blp.alt_response(404, schema=ProblemSchema, description="`ORDER_NOT_FOUND`")
@blp.alt_response(409, schema=ProblemSchema, description="ORDER_NOT_AWAITING_PAYMENT")
def receive_order_payment(order_id):
    """Simulate the bank transfer of an order arriving: awaiting_payment → paid."""
    sim = runtime()
    return order_answer(service.mark_paid(sim.store, sim.clock, timings(), order_id))

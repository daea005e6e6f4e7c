"""/_sim/orders: order controls, such as a bank transfer arriving."""

from __future__ import annotations

from simulator.http.admin import AdminBlueprint
from simulator.http.blueprints import runtime
from simulator.schemas import ProblemSchema

from . import service
from .routes import order_answer, timings
from .schemas import OrderSchema

blp = AdminBlueprint("sim_orders", __name__, description="Order controls (simulator).")


@blp.route("/orders/<order_id>/payment-received", methods=["POST"])
@blp.response(200, OrderSchema)
@blp.alt_response(409, schema=ProblemSchema, description="ORDER_NOT_AWAITING_PAYMENT")
def payment_received(order_id):
    """Simulate the bank transfer of an order arriving: awaiting_payment → paid."""
    sim = runtime()
    return order_answer(service.mark_paid(sim.store, sim.clock, timings(), order_id))

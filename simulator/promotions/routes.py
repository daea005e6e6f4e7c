"""GET /api/v1/promotions: the promotions in force, for display."""

from __future__ import annotations

from simulator.http.blueprints import Blueprint, json_response, page_of, runtime

from . import rules as promotions
from .schemas import PromotionSchema
from .serialize import promotion_to_dict

blp = Blueprint("promotions", __name__, url_prefix="/api/v1", description="Promotions in force, for display.")


@blp.route("/promotions", methods=["GET"])
@blp.response(200, PromotionSchema(many=True))
@blp.paginate()
def list_promotions(pagination_parameters):
    """The promotions in force now, for display (coupon codes are not revealed); paginated (`X-Pagination`)."""
    sim = runtime()
    active = page_of(promotions.active_promotions(sim.store, sim.clock.now()), pagination_parameters)
    return json_response([promotion_to_dict(p, sim.settings.currency, reveal_code=False) for p in active])

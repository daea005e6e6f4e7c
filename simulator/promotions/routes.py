"""GET /api/v1/promotions: the promotions in force, for display."""

from __future__ import annotations

from simulator.http.blueprints import Blueprint, json_response, page_of, runtime

from .book import rule_book
from .schemas import PromotionSchema
from .serialize import promotion_to_dict

blp = Blueprint("promotions", __name__, url_prefix="/api/v1", description="Promotions in force, for display.")


@blp.route("/promotions", methods=["GET"])
@blp.response(200, PromotionSchema(many=True))
@blp.paginate()
def list_promotions(pagination_parameters):
    """The promotions in force now, for display (coupon codes are not revealed); paginated (`X-Pagination`)."""
    sim = runtime()
    shown = rule_book(sim.store).made_in_force(_shown, sim.clock.now())
    return json_response(page_of(shown, pagination_parameters))


def _shown(in_force) -> tuple[dict, ...]:
    """The display form of the rules in force: kept with them until they change (read, never change)."""
    currency = runtime().settings.currency
    return tuple(promotion_to_dict(p, currency, reveal_code=False) for p in in_force)

"""/_sim/promotions: the promotion rules, replaced or edited at run time."""

from __future__ import annotations

from flask import url_for

from simulator.http.admin import AdminBlueprint
from simulator.http.blueprints import etag, if_match_version, json_response, page_of, runtime
from simulator.http.openapi import IF_MATCH, LOCATION
from simulator.schemas import ProblemSchema

from . import rules as promotions
from .schemas import PromotionRuleSchema, PromotionSetSchema, PromotionWriteSchema
from .serialize import promotion_to_dict

blp = AdminBlueprint("sim_promotions", __name__, description="Promotion rules (simulator control).")


def _shown(promotion):
    return promotion_to_dict(promotion, runtime().settings.currency, reveal_code=True)


@blp.route("/promotions", methods=["GET"])
@blp.response(200, PromotionRuleSchema(many=True))
@blp.paginate()
def list_promotion_rules(pagination_parameters):
    """Every rule, with codes, priorities and conditions, in the order of the rule set; paginated (`X-Pagination`)."""
    return json_response([_shown(p) for p in page_of(promotions.rule_set(runtime().store), pagination_parameters)])


@blp.route("/promotions", methods=["POST"])
@blp.arguments(PromotionWriteSchema)
@blp.response(201, PromotionRuleSchema, headers=LOCATION)
@blp.alt_response(409, schema=ProblemSchema, description="COUPON_CODE_TAKEN")
@blp.alt_response(422, schema=ProblemSchema)
def create_promotion_rule(fields):
    """Add a rule."""
    promotion = promotions.create_promotion(runtime().store, fields)
    location = url_for(".get_promotion_rule", promotion_id=promotion.id)
    return json_response(_shown(promotion), 201, {"ETag": etag(promotion.version), "Location": location})


@blp.route("/promotions", methods=["PUT"])
@blp.arguments(PromotionSetSchema)
@blp.response(200, PromotionRuleSchema(many=True))
@blp.alt_response(409, schema=ProblemSchema, description="COUPON_CODE_TAKEN: two rules use the same coupon code.")
@blp.alt_response(422, schema=ProblemSchema)
def replace_promotion_rules(body):
    """Replace the whole rule set at once (all are checked before any is kept)."""
    return json_response([_shown(p) for p in promotions.replace_all(runtime().store, body["promotions"])])


@blp.route("/promotions/<promotion_id>", methods=["GET"])
@blp.response(200, PromotionRuleSchema)
@blp.alt_response(404, schema=ProblemSchema)
def get_promotion_rule(promotion_id):
    """One rule."""
    promotion = promotions.get_promotion(runtime().store, promotion_id)
    return json_response(_shown(promotion), headers={"ETag": etag(promotion.version)})


@blp.route("/promotions/<promotion_id>", methods=["PUT"])
@blp.arguments(PromotionWriteSchema)
@blp.response(200, PromotionRuleSchema)
@blp.alt_response(404, schema=ProblemSchema)
@blp.alt_response(409, schema=ProblemSchema, description="COUPON_CODE_TAKEN")
@blp.doc(parameters=[IF_MATCH])
def replace_promotion_rule(fields, promotion_id):
    """Replace one rule (If-Match guards against a stale edit)."""
    promotion = promotions.replace_promotion(runtime().store, promotion_id, fields, if_match_version())
    return json_response(_shown(promotion), headers={"ETag": etag(promotion.version)})


@blp.route("/promotions/<promotion_id>", methods=["DELETE"])
@blp.response(204)
@blp.alt_response(404, schema=ProblemSchema)
def delete_promotion_rule(promotion_id):
    """Delete a rule; a coupon of it left on a basket shows as `unknown`."""
    promotions.delete_promotion(runtime().store, promotion_id)
    return "", 204

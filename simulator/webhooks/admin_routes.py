"""/_sim/webhooks/deliveries: the latest deliveries of every subscription, for a console."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from simulator.http.admin import AdminBlueprint
from simulator.http.blueprints import json_response, runtime
from simulator.schemas import ProblemSchema
from simulator.webhooks import dispatcher as webhooks

from .routes import DeliverySchema, delivery_to_dict

blp = AdminBlueprint("sim_webhooks", __name__, description="Webhook deliveries of every subscription (simulator).")

LATEST_MAX = 200


class LatestDeliveriesArgs(Schema):
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=LATEST_MAX))


class DeliveredToSchema(Schema):
    id = fields.String(required=True, metadata={"example": "whk_5x2k9m1q0c7d"})
    url = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "null when the subscription was deleted meanwhile.", "example": "http://127.0.0.1:9/hooks"},
    )


class LatestDeliverySchema(DeliverySchema):
    subscription = fields.Nested(DeliveredToSchema, required=True)


@blp.route("/webhooks/deliveries", methods=["GET"])
@blp.arguments(LatestDeliveriesArgs, location="query", as_kwargs=True)
@blp.response(200, LatestDeliverySchema(many=True))
@blp.alt_response(422, schema=ProblemSchema)
def list_latest_deliveries(limit):
    """The latest `limit` deliveries of every subscription, newest first, each with every attempt
    and the subscription it goes to. A subscriber pages its own with `/api/v1/webhooks/{id}/deliveries`."""
    return json_response([
        {**delivery_to_dict(delivery), "subscription": {"id": delivery.owner_id, "url": subscription.url if subscription else None}}
        for delivery, subscription in webhooks.latest_deliveries(runtime().store, limit)
    ])

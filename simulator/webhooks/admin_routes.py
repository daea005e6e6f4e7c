"""/_sim webhook controls: the latest deliveries of every subscription (for a console), and
the integration keys that own subscriptions, issued by the operator."""

from __future__ import annotations

from flask import url_for
from marshmallow import Schema, fields, validate

from simulator.clock import rfc3339
from simulator.http.admin import AdminBlueprint
from simulator.http.blueprints import json_response, runtime
from simulator.schemas import ProblemSchema
from simulator.webhooks import dispatcher as webhooks

from . import keys
from .routes import DeliverySchema, delivery_to_dict

blp = AdminBlueprint(
    "sim_webhooks", __name__,
    description="Webhook deliveries of every subscription, and the integration keys that own subscriptions (simulator).",
)

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


class IntegrationKeyCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100),
                         metadata={"description": "Who it is for.", "example": "storefront staging"})


class IntegrationKeySchema(Schema):
    id = fields.String(required=True, metadata={"example": "key_5x2k9m1q0c7d"})
    name = fields.String(required=True, metadata={"example": "storefront staging"})
    created_at = fields.String(required=True, metadata={"example": "2026-11-29T18:45:09Z"})


class IntegrationKeyCreatedSchema(IntegrationKeySchema):
    key = fields.String(required=True, metadata={
        "description": "Send as `Authorization: Bearer <key>`; shown in this answer only.",
        "example": "ik_o31jVz5jHHRpx0WEK8CVrcq9hhPl-i6R8efx0ygq5xQ",
    })


def key_to_dict(key: keys.IntegrationKey) -> dict:
    return {"id": key.key_id, "name": key.name, "created_at": rfc3339(key.created_at)}


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


@blp.route("/integration-keys", methods=["POST"])
@blp.arguments(IntegrationKeyCreateSchema)
@blp.response(201, IntegrationKeyCreatedSchema, headers={"Location": {"schema": {"type": "string"}}})
@blp.alt_response(409, schema=ProblemSchema, description="INTEGRATION_KEY_LIMIT_REACHED")
@blp.alt_response(422, schema=ProblemSchema)
def issue_integration_key(body):
    """Issue a key for an integration: the answer carries the key, shown this once."""
    sim = runtime()
    key, raw = keys.issue(sim.store, sim.clock, body["name"])
    headers = {"Cache-Control": "no-store", "Location": url_for(".get_integration_key", key_id=key.key_id)}
    return json_response({**key_to_dict(key), "key": raw}, 201, headers)


@blp.route("/integration-keys", methods=["GET"])
@blp.response(200, IntegrationKeySchema(many=True))
def list_integration_keys():
    """Every key (never the key itself), oldest first."""
    return json_response([key_to_dict(key) for key in keys.list_keys(runtime().store)])


@blp.route("/integration-keys/<key_id>", methods=["GET"])
@blp.response(200, IntegrationKeySchema)
@blp.alt_response(404, schema=ProblemSchema, description="INTEGRATION_KEY_NOT_FOUND")
def get_integration_key(key_id):
    """One key (never the key itself)."""
    return json_response(key_to_dict(keys.get_key(runtime().store, key_id)))


@blp.route("/integration-keys/<key_id>", methods=["DELETE"])
@blp.response(204)
@blp.alt_response(404, schema=ProblemSchema, description="INTEGRATION_KEY_NOT_FOUND")
def revoke_integration_key(key_id):
    """Revoke a key: it authenticates no more, and its subscriptions go (nothing more is sent to them once this answers)."""
    sim = runtime()
    webhooks.revoke_key(sim.store, sim.settings, key_id)
    return "", 204

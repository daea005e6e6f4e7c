"""/api/v1/webhooks: push triggers. Subscribe a URL to catalog and order events.

Every call needs an integration key (`callers.py`); a key sees only its own subscriptions."""

from __future__ import annotations

from datetime import UTC, datetime

from marshmallow import Schema, fields, validate

from simulator.clock import rfc3339
from simulator.http.blueprints import Blueprint, json_response, runtime
from simulator.schemas import ProblemSchema
from simulator.webhooks import dispatcher as webhooks

from .callers import current_caller, requires_integration
from .events import EVENT_TYPES, Delivery, Subscription
from .hosts import parse_allowed_hosts

blp = Blueprint(
    "webhooks",
    __name__,
    url_prefix="/api/v1",
    description="Push triggers: subscribe a URL to product and order events. Every call sends "
    "`Authorization: Bearer <integration key>` (from POST /_sim/integration-keys) and sees only that key's subscriptions. "
    "Every delivery is a signed POST "
    "(`X-Signature: sha256=<hex HMAC-SHA256 of the raw body with the subscription secret>`, `X-Event-Id`, "
    "`X-Event-Type`); failed deliveries are retried with exponential backoff and every attempt is listed.",
)

class WebhookCreateSchema(Schema):
    url = fields.String(required=True, validate=validate.Length(min=1, max=webhooks.MAX_URL_LENGTH),
                        metadata={"example": "http://127.0.0.1:9000/hooks/catalog"})
    events = fields.List(
        fields.String(validate=validate.OneOf(EVENT_TYPES)),
        required=True,
        validate=validate.Length(min=1, max=len(EVENT_TYPES) * 2),
        metadata={"example": ["product.created", "product.updated", "product.deleted"]},
    )
    description = fields.String(load_default="", validate=validate.Length(max=500), metadata={"example": "Catalog sync for the storefront"})
    secret = fields.String(
        validate=validate.Length(min=16, max=200),
        metadata={"description": "Your own signing secret; by default the simulator makes one.", "example": "my-own-signing-secret-0123456789"},
    )


class WebhookSchema(Schema):
    id = fields.String(required=True, metadata={"example": "whk_5x2k9m1q0c7d"})
    url = fields.String(required=True, metadata={"example": "http://127.0.0.1:9000/hooks/catalog"})
    events = fields.List(fields.String(), required=True, metadata={"example": ["product.created", "product.deleted"]})
    description = fields.String(required=True, metadata={"example": "Catalog sync for the storefront"})
    created_at = fields.String(required=True, metadata={"example": "2026-11-29T18:45:09Z"})


class WebhookCreatedSchema(WebhookSchema):
    secret = fields.String(
        required=True,
        metadata={
            "description": "The signing secret: shown in this answer only.",
            "example": "whsec_f90e653b4f7a73839d48901744ad1bceaa8f1b4408a62627",
        },
    )


class DeliveryQueryArgs(Schema):
    cursor = fields.String(
        validate=validate.Length(max=200), metadata={"description": "`next_cursor` of the previous page.", "example": "MS5kbHZfMDAwMDAwMDAwMDFr"},
    )
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500), metadata={"example": 100})
    status = fields.String(validate=validate.OneOf(webhooks.STATUSES), metadata={"example": "failed"})


class AttemptSchema(Schema):
    number = fields.Integer(required=True, metadata={"example": 1})
    at = fields.String(required=True, metadata={"description": "Simulated time the attempt began.", "example": "2026-11-29T18:45:09Z"})
    status_class = fields.String(required=True, allow_none=True, validate=validate.OneOf([f"{n}xx" for n in range(1, 6)]),
                                 metadata={"description": "The class of the receiver's status (`2xx`, `4xx`, …); null when no HTTP "
                                                          "answer came. Its exact status and text are not kept.", "example": "5xx"})
    duration_ms = fields.Float(required=True, metadata={"example": 12.4})
    error = fields.String(required=True, allow_none=True, validate=validate.OneOf(webhooks.ERROR_KINDS),
                          metadata={"description": "Why the attempt failed, one of a fixed list; null when it succeeded.",
                                    "example": "read_timeout"})


class DeliverySchema(Schema):
    id = fields.String(required=True, metadata={"example": "dlv_3f9c2a71d0_00000000001k"})
    event_id = fields.String(
        required=True,
        metadata={"description": "Also sent as X-Event-Id: the same on every retry.", "example": "evt_000000000001"},
    )
    event_type = fields.String(required=True, metadata={"example": "product.updated"})
    resource_id = fields.String(required=True, metadata={"example": "prd_3vm9jrxfjf8n"})
    status = fields.String(required=True, validate=validate.OneOf(webhooks.STATUSES), metadata={"example": "retrying"})
    created_at = fields.String(required=True, metadata={"example": "2026-11-29T18:45:09Z"})
    next_attempt_at = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "When it is tried (again); null once finished.", "example": "2026-11-29T18:45:39Z"},
    )
    attempts = fields.List(fields.Nested(AttemptSchema), required=True)


class DeliveryPageSchema(Schema):
    items = fields.List(fields.Nested(DeliverySchema), required=True)
    next_cursor = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "null on the last page.", "example": "MS5kbHZfMDAwMDAwMDAwMDFr"},
    )


def subscription_to_dict(subscription: Subscription, with_secret: bool = False) -> dict:
    out = {
        "id": subscription.id,
        "url": subscription.url,
        "events": list(subscription.events),
        "description": subscription.description,
        "created_at": rfc3339(subscription.created_at),
    }
    if with_secret:
        out["secret"] = subscription.secret
    return out


def delivery_to_dict(delivery: Delivery) -> dict:
    return {
        "id": delivery.id,
        "event_id": delivery.event_id,
        "event_type": delivery.event_type,
        "resource_id": delivery.resource_id,
        "status": delivery.status,
        "created_at": rfc3339(delivery.created_at),
        "next_attempt_at": None if delivery.finished
        else rfc3339(datetime.fromtimestamp(delivery.next_attempt_at, UTC)),
        "attempts": [
            {"number": a.number, "at": rfc3339(a.at), "status_class": a.status_class, "duration_ms": a.duration_ms, "error": a.error}
            for a in delivery.attempts
        ],
    }


@blp.route("/webhooks", methods=["POST"])
@requires_integration
@blp.arguments(WebhookCreateSchema)
@blp.response(201, WebhookCreatedSchema, headers={"Location": {"schema": {"type": "string"}}})
@blp.alt_response(409, schema=ProblemSchema, description="WEBHOOK_LIMIT_REACHED")
@blp.alt_response(422, schema=ProblemSchema, description="VALIDATION_FAILED or WEBHOOK_URL_NOT_ALLOWED (by default only loopback hosts).")
def create_webhook(body):
    """Subscribe a URL to events. The answer carries the signing secret, shown this once."""
    sim = runtime()
    subscription = webhooks.create_subscription(
        sim.store, sim.clock, parse_allowed_hosts(sim.settings.webhook_allowed_hosts), current_caller(),
        body["url"], body["events"], body["description"], body.get("secret"),
    )
    return json_response(subscription_to_dict(subscription, with_secret=True), 201,
                         {"Location": f"/api/v1/webhooks/{subscription.id}", "Cache-Control": "no-store"})


@blp.route("/webhooks", methods=["GET"])
@requires_integration
@blp.response(200, WebhookSchema(many=True))
@blp.paginate()
def list_webhooks(pagination_parameters):
    """The key's subscriptions (the admin token: all), oldest first; paginated (`X-Pagination`). Secrets are not shown."""
    page, total = webhooks.list_subscriptions(runtime().store, current_caller(), pagination_parameters.page, pagination_parameters.page_size)
    pagination_parameters.item_count = total
    return json_response([subscription_to_dict(s) for s in page])


@blp.route("/webhooks/<subscription_id>", methods=["GET"])
@requires_integration
@blp.response(200, WebhookSchema)
@blp.alt_response(404, schema=ProblemSchema, description="WEBHOOK_NOT_FOUND")
def get_webhook(subscription_id):
    """One subscription (without its secret)."""
    return json_response(subscription_to_dict(webhooks.get_subscription(runtime().store, subscription_id, current_caller())))


@blp.route("/webhooks/<subscription_id>", methods=["DELETE"])
@requires_integration
@blp.response(204)
@blp.alt_response(404, schema=ProblemSchema, description="WEBHOOK_NOT_FOUND")
def delete_webhook(subscription_id):
    """Unsubscribe: nothing more is sent once this answers, and its delivery history goes."""
    sim = runtime()
    webhooks.delete_subscription(sim.store, sim.settings, subscription_id, current_caller())
    return "", 204


@blp.route("/webhooks/<subscription_id>/deliveries", methods=["GET"])
@requires_integration
@blp.arguments(DeliveryQueryArgs, location="query", as_kwargs=True)
@blp.response(200, DeliveryPageSchema)
@blp.alt_response(404, schema=ProblemSchema, description="WEBHOOK_NOT_FOUND")
@blp.alt_response(410, schema=ProblemSchema, description="CURSOR_EXPIRED: the simulator was reset.")
@blp.alt_response(422, schema=ProblemSchema)
def list_webhook_deliveries(subscription_id, cursor=None, limit=100, status=None):
    """The subscription's deliveries, oldest first, each with every attempt (status, duration, error)."""
    items, next_cursor = webhooks.list_deliveries(runtime().store, subscription_id, current_caller(), cursor, limit, status)
    return json_response({"items": [delivery_to_dict(d) for d in items], "next_cursor": next_cursor})

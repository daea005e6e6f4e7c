"""GET /_sim/outbox: the mails the backend "sent" (welcome, password reset, …)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from simulator.clock import rfc3339
from simulator.http.admin import AdminBlueprint
from simulator.http.blueprints import json_response, runtime
from simulator.mail import outbox
from simulator.schemas import ProblemSchema

blp = AdminBlueprint("sim_outbox", __name__, description="Simulator outbox: mails the backend sent.")


class OutboxQueryArgs(Schema):
    recipient = fields.String(
        validate=validate.Length(min=1, max=320),
        metadata={"description": "Only mails to this address (any letter case).", "example": "demo@example.com"},
    )


class MailSchema(Schema):
    id = fields.String(required=True, metadata={"example": "msg_00000000001k"})
    recipient = fields.String(required=True, metadata={"example": "ada@example.org"})
    subject = fields.String(required=True, metadata={"example": "Order AS-100014 cancelled"})
    text = fields.String(required=True, metadata={"example": "Your order AS-100014 was cancelled: Changed my mind."})
    template = fields.String(
        required=True,
        metadata={"description": "welcome, password_reset, password_changed, email_changed", "example": "order_cancelled"},
    )
    links = fields.List(
        fields.String(),
        required=True,
        metadata={"example": ["http://127.0.0.1:8000/account/reset-password?token=Lxe3LUfArqX84ZdpKVZOEzS7icfTOjMy0rh_ad3u-xw"]},
    )
    tokens = fields.Dict(required=True, keys=fields.String(), values=fields.String(), metadata={"example": {"reset_token": "…"}})
    sent_at = fields.String(required=True, metadata={"description": "Simulated send time.", "example": "2026-11-29T18:45:09Z"})


def mail_to_dict(mail: outbox.Mail) -> dict:
    return {
        "id": mail.id,
        "recipient": mail.recipient,
        "subject": mail.subject,
        "text": mail.text,
        "template": mail.template,
        "links": list(mail.links),
        "tokens": dict(mail.tokens),
        "sent_at": rfc3339(mail.sent_at),
    }


@blp.route("/outbox")
@blp.arguments(OutboxQueryArgs, location="query", as_kwargs=True)
@blp.response(200, MailSchema(many=True))
@blp.paginate()
@blp.alt_response(422, schema=ProblemSchema)
def list_outbox(pagination_parameters, recipient=None):
    """Every mail sent, newest first; filter by `recipient`; paginated (`X-Pagination`)."""
    mails, total = outbox.list_mails(
        runtime().store, recipient, pagination_parameters.page, pagination_parameters.page_size
    )
    pagination_parameters.item_count = total
    return json_response([mail_to_dict(m) for m in mails])

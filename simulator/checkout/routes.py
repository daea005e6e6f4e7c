"""Checkout webservices, step by step, and the simulator's payment page for redirects."""

from __future__ import annotations

import dataclasses
from html import escape

from flask import Response, redirect, url_for

from simulator.basket.callers import BASKET_READS, NO_BASKET, basket_rules, caller_basket, caller_owner_id, read_ahead_under
from simulator.customers.auth import optional_customer
from simulator.http.blueprints import Blueprint, etag, if_match_version, json_response, runtime
from simulator.http.openapi import CALLER_SECURITY, IF_MATCH, LOCATION
from simulator.schemas import ProblemSchema
from simulator.store import ReadAhead

from . import service
from .model import CHECKOUT
from .schemas import (
    AddressChoiceSchema,
    BillingAddressSchema,
    CheckoutSchema,
    DeliveryOptionSchema,
    DeliveryQuoteSchema,
    OpenCheckoutSchema,
    PaymentChoiceSchema,
    PaymentPageAnswerSchema,
    PaymentSchema,
    PaymentTypeSchema,
)
from .serialize import checkout_to_dict, payment_choices_json, quote_to_dict

blp = Blueprint(
    "checkout", __name__, url_prefix="/api/v1", description="Checkout: basket → addresses → payment type → delivery → payment → order.",
    security=CALLER_SECURITY,
)
pay_page = Blueprint(
    "payment_page", __name__, url_prefix="/payments", description="The simulator's page for redirect payments (PayPal-like).", strict_query=False,
)

_CHECKOUT_PATH = f"{blp.url_prefix}/checkout"
_caller_ahead = read_ahead_under(_CHECKOUT_PATH, **BASKET_READS)
#: Longer than any checkout id: a path naming more is not read ahead (it answers 404).
_LONGEST_ID = 64


def read_ahead(environ: dict) -> ReadAhead | None:
    """A checkout's request reads the caller first, their basket and orders (pricing), and the
    checkout its path names: read ahead, for a shared store to bring with its freshness check."""
    ahead = _caller_ahead(environ)
    if ahead is None:  # another route's request, or no caller named
        return None
    named = environ["PATH_INFO"][len(_CHECKOUT_PATH) + 1:].partition("/")[0]
    if not named or len(named) > _LONGEST_ID:
        return ahead
    return dataclasses.replace(ahead, by_id=((CHECKOUT, named),))


STEP_CONFLICT = ("A step taken before its predecessor: the code names the missing step (`missing_step`). `CHECKOUT_COMPLETED`: it became an order. "
                 "`CHECKOUT_CLOSED`: its basket was ordered through another checkout. `BASKET_NOT_FOUND`: its basket is gone.")
NO_CHECKOUT = "`CHECKOUT_NOT_FOUND` (also for another caller's checkout)."


def _answer(view, status: int = 200, headers: dict | None = None) -> Response:
    settings = runtime().settings
    body = checkout_to_dict(view, settings.currency, settings.base_url)
    return json_response(body, status, {"ETag": etag(view.checkout.version), **(headers or {})})


def _step(action, *args):
    sim = runtime()
    return _answer(action(sim.store, sim.clock, basket_rules(), caller_owner_id(), *args, expected_version=if_match_version()))


def _address(args) -> dict:
    customer = optional_customer()
    return service.resolve_address(runtime().store, customer.id if customer else None, args.get("address_id"), args.get("address"))


@blp.route("/checkout", methods=["POST"])
@blp.arguments(OpenCheckoutSchema(), required=False)
@blp.response(201, CheckoutSchema, headers=LOCATION)
@blp.alt_response(404, schema=ProblemSchema, description=NO_BASKET)
@blp.alt_response(409, schema=ProblemSchema, description="BASKET_EMPTY, BASKET_NOT_READY")
def open_checkout(args):
    """Open a checkout for the caller's basket (guests give an email)."""
    sim = runtime()
    view = service.open_checkout(sim.store, sim.clock, basket_rules(), caller_basket(), args.get("email"))
    return _answer(view, 201, {"Location": url_for("checkout.get_checkout", checkout_id=view.checkout.id)})


@blp.route("/checkout/<checkout_id>", methods=["GET"])
@blp.response(200, CheckoutSchema)
@blp.alt_response(404, schema=ProblemSchema, description=NO_CHECKOUT)
@blp.alt_response(409, schema=ProblemSchema, description="`BASKET_NOT_FOUND`: its basket is gone. `CHECKOUT_CLOSED`.")
def get_checkout(checkout_id):
    """The checkout, re-priced now (a basket change since shows here)."""
    sim = runtime()
    return _answer(service.show(sim.store, sim.clock, basket_rules(), caller_owner_id(), checkout_id))


@blp.route("/checkout/<checkout_id>/shipping-address", methods=["PUT"])
@blp.arguments(AddressChoiceSchema)
@blp.response(200, CheckoutSchema)
@blp.alt_response(404, schema=ProblemSchema, description=f"{NO_CHECKOUT} `ADDRESS_NOT_FOUND`.")
@blp.alt_response(409, schema=ProblemSchema, description=STEP_CONFLICT)
@blp.alt_response(422, schema=ProblemSchema)
@blp.doc(parameters=[IF_MATCH])
def set_shipping_address(args, checkout_id):
    """Where the parcel goes: an address-book id or an inline address."""
    return _step(service.set_shipping_address, checkout_id, _address(args))


@blp.route("/checkout/<checkout_id>/billing-address", methods=["PUT"])
@blp.arguments(BillingAddressSchema)
@blp.response(200, CheckoutSchema)
@blp.alt_response(404, schema=ProblemSchema, description=f"{NO_CHECKOUT} `ADDRESS_NOT_FOUND`.")
@blp.alt_response(409, schema=ProblemSchema, description=STEP_CONFLICT)
@blp.doc(parameters=[IF_MATCH])
def set_billing_address(args, checkout_id):
    """The invoice address: an id, inline, or `same_as_shipping: true`."""
    same = args.get("same_as_shipping", False)
    return _step(service.set_billing_address, checkout_id, None if same else _address(args), same)


@blp.route("/checkout/<checkout_id>/payment-types", methods=["GET"])
@blp.response(200, PaymentChoiceSchema(many=True))
@blp.alt_response(404, schema=ProblemSchema, description=NO_CHECKOUT)
@blp.alt_response(409, schema=ProblemSchema, description=STEP_CONFLICT)
def list_payment_types(checkout_id):
    """Every payment type, with whether this checkout may use it (country, total) and its fee."""
    sim = runtime()
    choices = service.payment_choices(sim.store, sim.clock, basket_rules(), caller_owner_id(), checkout_id)
    return Response(payment_choices_json(choices, sim.settings.currency), mimetype="application/json")


@blp.route("/checkout/<checkout_id>/payment-type", methods=["PUT"])
@blp.arguments(PaymentTypeSchema)
@blp.response(200, CheckoutSchema)
@blp.alt_response(404, schema=ProblemSchema, description=NO_CHECKOUT)
@blp.alt_response(409, schema=ProblemSchema, description=f"{STEP_CONFLICT} PAYMENT_TYPE_NOT_AVAILABLE")
@blp.doc(parameters=[IF_MATCH])
def set_payment_type(args, checkout_id):
    """Choose how to pay."""
    return _step(service.set_payment_type, checkout_id, args["payment_type"])


@blp.route("/checkout/<checkout_id>/delivery-options", methods=["GET"])
@blp.response(200, DeliveryQuoteSchema(many=True))
@blp.alt_response(404, schema=ProblemSchema, description=NO_CHECKOUT)
@blp.alt_response(409, schema=ProblemSchema, description=STEP_CONFLICT)
def list_delivery_options(checkout_id):
    """Options for this destination and weight, priced (free-shipping promotions applied), with dates."""
    sim = runtime()
    quotes = service.delivery_choices(sim.store, sim.clock, basket_rules(), caller_owner_id(), checkout_id)
    return json_response([quote_to_dict(q, sim.settings.currency) for q in quotes])


@blp.route("/checkout/<checkout_id>/delivery-option", methods=["PUT"])
@blp.arguments(DeliveryOptionSchema)
@blp.response(200, CheckoutSchema)
@blp.alt_response(404, schema=ProblemSchema, description=NO_CHECKOUT)
@blp.alt_response(409, schema=ProblemSchema, description=f"{STEP_CONFLICT} DELIVERY_OPTION_NOT_AVAILABLE")
@blp.doc(parameters=[IF_MATCH])
def set_delivery_option(args, checkout_id):
    """Choose a delivery option."""
    return _step(service.set_delivery_option, checkout_id, args["delivery_option_id"])


@blp.route("/checkout/<checkout_id>/payment", methods=["POST"])
@blp.arguments(PaymentSchema)
@blp.response(200, CheckoutSchema)
@blp.alt_response(404, schema=ProblemSchema, description=NO_CHECKOUT)
@blp.alt_response(402, schema=ProblemSchema, description="PAYMENT_DECLINED, INSUFFICIENT_FUNDS, CARD_EXPIRED")
@blp.alt_response(409, schema=ProblemSchema, description=f"{STEP_CONFLICT} `CHECKOUT_OUTDATED`: the totals changed since shown (`total`).")
@blp.doc(parameters=[IF_MATCH])
def pay_checkout(args, checkout_id):
    """Pay the totals shown. Cards: test numbers decide; redirect types answer a `redirect_url`."""
    sim = runtime()
    view, token = service.pay(
        sim.store, sim.clock, basket_rules(), caller_owner_id(), checkout_id, args.get("card"), args.get("return_url"),
        expected_version=if_match_version(),
    )
    body = checkout_to_dict(view, sim.settings.currency, sim.settings.base_url)
    if token:  # the raw token exists only now: the link is handed out once
        body["payment"]["redirect_url"] = sim.settings.base_url + url_for("payment_page.show_payment_page", token=token)
    return json_response(body, headers={"ETag": etag(view.checkout.version)})


@blp.route("/checkout/<checkout_id>/payment/confirm", methods=["POST"])
@blp.response(200, CheckoutSchema)
@blp.alt_response(404, schema=ProblemSchema, description=NO_CHECKOUT)
@blp.alt_response(409, schema=ProblemSchema, description=f"`NOTHING_TO_CONFIRM`. {STEP_CONFLICT}")
@blp.doc(parameters=[IF_MATCH])
def confirm_payment(checkout_id):
    """Complete a payment that asked for confirmation (3-D Secure style)."""
    sim = runtime()
    return _answer(service.confirm_payment(sim.store, sim.clock, basket_rules(), caller_owner_id(), checkout_id, expected_version=if_match_version()))


@pay_page.route("/redirect/<token>", methods=["GET"])
@pay_page.response(200, {"type": "string"}, content_type="text/html", description="An HTML page with approve and cancel buttons.")
@pay_page.alt_response(404, schema=ProblemSchema, description="PAYMENT_NOT_FOUND")
def show_payment_page(token):
    """The payment provider's page a redirect payment sends the shopper to."""
    checkout = service.find_redirect(runtime().store, token)
    amount = f"{checkout.payment.amount:.2f} {runtime().settings.currency}"
    approve, cancel = (url_for("payment_page.answer_payment_page", token=token, choice=choice) for choice in ("approve", "cancel"))
    html = (
        "<!doctype html><html><head><meta charset='utf-8'><title>Pay with the simulator</title></head>"
        "<body style='font-family:sans-serif;max-width:30em;margin:4em auto'>"
        f"<h1>Pay {escape(amount)}</h1><p>Checkout {escape(checkout.id)} for {escape(checkout.email)}.</p>"
        f"<form method='post' action='{approve}'><button>Approve payment</button></form>"
        f"<form method='post' action='{cancel}'><button>Cancel</button></form></body></html>"
    )
    return Response(html, mimetype="text/html")


@pay_page.route("/redirect/<token>/<any(approve, cancel):choice>", methods=["POST"])
@pay_page.response(200, PaymentPageAnswerSchema)
@pay_page.alt_response(303, description="Back to the shop's `return_url`.", headers=LOCATION)
@pay_page.alt_response(404, schema=ProblemSchema, description="PAYMENT_NOT_FOUND")
@pay_page.alt_response(409, schema=ProblemSchema, description="PAYMENT_NOT_PENDING")
def answer_payment_page(token, choice):
    """Approve or cancel; then back to the shop's `return_url` when one was given (303)."""
    sim = runtime()
    checkout = service.complete_redirect(sim.store, sim.clock, token, approve=choice == "approve")
    if checkout.payment.return_url:
        return redirect(f"{checkout.payment.return_url}{'&' if '?' in checkout.payment.return_url else '?'}checkout_id={checkout.id}&result={choice}", 303)
    return json_response({"checkout_id": checkout.id, "payment": {"state": checkout.payment.state}})

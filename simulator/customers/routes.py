"""Customer webservices: registration, login/logout, password reset, profile and address book."""

from __future__ import annotations

from flask import Response, request

from simulator import idempotency
from simulator.basket import service as basket_service
from simulator.basket.callers import basket_rules
from simulator.http.blueprints import Blueprint, etag, if_match_version, json_response, not_modified, runtime
from simulator.http.openapi import IDEMPOTENCY_KEY, IF_MATCH, IF_NONE_MATCH, LOCATION
from simulator.schemas import ProblemSchema
from simulator.store import ReadAhead

from . import accounts, addresses, auth, sessions
from .auth import bearer_digest, bearer_token, current_customer, requires_customer
from .model import ADDRESS
from .rules import CustomerRules
from .schemas import (
    AcceptedSchema,
    AddressSchema,
    AddressWriteSchema,
    ChangePasswordSchema,
    CustomerSchema,
    ForgotPasswordSchema,
    LoginSchema,
    ProfilePatchSchema,
    RegisterSchema,
    ResetPasswordSchema,
    SessionSchema,
)
from .serialize import address_to_dict, basket_merge_to_dict, customer_to_dict, session_to_dict

blp = Blueprint(
    "customers",
    __name__,
    url_prefix="/api/v1",
    description="Customers: registration, login, forgotten password, profile and address book. "
    "Authenticated calls send `Authorization: Bearer <token>` from login or registration.",
)

ME = "/api/v1/customers/me"
_LOGOUT = f"{blp.url_prefix}/auth/logout"


def read_ahead(environ: dict) -> ReadAhead | None:
    """Logging out reads the caller's session and customer first, and the caller's profile and
    address book their addresses besides (the profile names the defaults): read ahead by a
    shared store with the request's freshness check."""
    path = environ.get("PATH_INFO", "")
    if path == ME or path.startswith(ME + "/"):
        return auth.read_ahead(environ, owned=(ADDRESS,))
    return auth.read_ahead(environ) if path == _LOGOUT else None


NO_STORE = {"Cache-Control": "no-store"}  # answers that carry a token or personal data


def _context():
    sim = runtime()
    return sim, CustomerRules.from_settings(sim.settings)


def _session_answer(session: sessions.Session, status: int, basket_token: str | None, headers: dict | None = None) -> Response:
    """The session, after merging the guest basket of `basket_token` (if sent) into the customer's."""
    sim = runtime()
    merge = None
    if basket_token:
        basket, merged = basket_service.merge_guest_basket(sim.store, sim.clock, basket_rules(), session.customer.id, basket_token)
        merge = basket_merge_to_dict(basket.id, merged)
    body = session_to_dict(session, sim.clock.now(), addresses.default_address_ids(sim.store, session.customer.id), merge)
    return json_response(body, status, {**NO_STORE, **(headers or {})})


def _customer_answer(customer) -> Response:
    store = runtime().store
    body = customer_to_dict(customer, addresses.default_address_ids(store, customer.id))
    return json_response(body, 200, {**NO_STORE, "ETag": etag(customer.version)})


def _address_answer(address, status: int = 200, headers: dict | None = None) -> Response:
    return json_response(address_to_dict(address), status, {**NO_STORE, "ETag": etag(address.version), **(headers or {})})


# -- registration and sessions ----------------------------------------------------------
@blp.route("/customers", methods=["POST"])
@blp.arguments(RegisterSchema)
@blp.response(201, SessionSchema, headers=LOCATION)
@blp.alt_response(409, schema=ProblemSchema, description="EMAIL_TAKEN, or IDEMPOTENCY_KEY_IN_USE while a duplicate runs.")
@blp.alt_response(422, schema=ProblemSchema, description="VALIDATION_FAILED, WEAK_PASSWORD or IDEMPOTENCY_KEY_REUSED.")
@blp.alt_response(429, schema=ProblemSchema, description="TOO_MANY_ATTEMPTS: SIM_REGISTRATIONS_PER_ADDRESS accounts from the client's "
                  "address within 15 minutes; see `Retry-After`.")
@blp.doc(parameters=[IDEMPOTENCY_KEY])
def register_customer(fields):
    """Register a customer: answers the customer and a bearer token; a welcome mail goes to the outbox.

    With `basket_token`, that guest basket is merged into the new customer's basket, as at login."""
    sim, rules = _context()
    session, replayed = accounts.register(sim.store, sim.clock, rules, fields, idempotency.header_key(request.headers), request.remote_addr)
    headers = {"Location": ME}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return _session_answer(session, 201, fields.get("basket_token"), headers)


@blp.route("/auth/login", methods=["POST"])
@blp.arguments(LoginSchema)
@blp.response(200, SessionSchema)
@blp.alt_response(401, schema=ProblemSchema, description="INVALID_CREDENTIALS")
@blp.alt_response(429, schema=ProblemSchema, description="TOO_MANY_ATTEMPTS: 5 failures of the email, or SIM_LOGIN_FAILURES_PER_ADDRESS "
                  "from the client's address, within 15 minutes; see `Retry-After`.")
def login(fields):
    """Log in with email and password: answers a bearer token, its expiry and the customer.

    With `basket_token`, that guest basket is merged into the customer's basket; `basket_merge`
    says whether it was (an unknown or expired token merges nothing, and the login succeeds)."""
    sim, rules = _context()
    session = sessions.login(sim.store, sim.clock, rules, fields["email"], fields["password"], request.remote_addr)
    return _session_answer(session, 200, fields.get("basket_token"))


@blp.route("/auth/logout", methods=["POST"])
@requires_customer
@blp.response(204)
def logout():
    """Revoke the bearer token of this request."""
    sim = runtime()
    sessions.logout(sim.store, sim.clock, bearer_token())
    return Response(status=204)


@blp.route("/auth/password/forgot", methods=["POST"])
@blp.arguments(ForgotPasswordSchema)
@blp.response(202, AcceptedSchema)
def forgot_password(fields):
    """Ask for a reset mail. Answers 202 alike for any email; a known one gets a one-time token in the outbox."""
    sim, rules = _context()
    accounts.forgot_password(sim.store, sim.clock, rules, fields["email"])
    return json_response(
        {"status": "accepted", "detail": "If an account exists for this email, a reset link is on its way."}, 202
    )


@blp.route("/auth/password/reset", methods=["POST"])
@blp.arguments(ResetPasswordSchema)
@blp.response(204)
@blp.alt_response(422, schema=ProblemSchema, description="RESET_TOKEN_INVALID (unknown, expired or used), WEAK_PASSWORD.")
def reset_password(fields):
    """Set a new password with the token from the reset mail; signs out every session."""
    sim, rules = _context()
    accounts.reset_password(sim.store, sim.clock, rules, fields["token"], fields["password"])
    return Response(status=204)


# -- profile ----------------------------------------------------------------------------
@blp.route("/customers/me", methods=["GET"])
@requires_customer
@blp.response(200, CustomerSchema)
def get_me():
    """The caller's customer record."""
    return _customer_answer(current_customer())


@blp.route("/customers/me", methods=["PATCH"])
@requires_customer
@blp.arguments(ProfilePatchSchema)
@blp.response(200, CustomerSchema)
@blp.alt_response(409, schema=ProblemSchema, description="EMAIL_TAKEN")
@blp.alt_response(412, schema=ProblemSchema, description="VERSION_MISMATCH: `If-Match` is stale.")
@blp.alt_response(422, schema=ProblemSchema)
@blp.doc(parameters=[IF_MATCH])
def patch_me(changes):
    """Change some profile fields; a new email needs `current_password`."""
    customer = current_customer()
    sim, rules = _context()
    return _customer_answer(accounts.update_profile(sim.store, sim.clock, rules, customer.id, changes, if_match_version()))


@blp.route("/customers/me/password", methods=["POST"])
@requires_customer
@blp.arguments(ChangePasswordSchema)
@blp.response(204)
@blp.alt_response(422, schema=ProblemSchema, description="INVALID_CURRENT_PASSWORD, WEAK_PASSWORD.")
@blp.alt_response(429, schema=ProblemSchema, description="TOO_MANY_ATTEMPTS")
def change_password(fields):
    """Change the password (the current one is asked for); every other session is signed out."""
    customer = current_customer()
    sim, rules = _context()
    accounts.change_password(
        sim.store, sim.clock, rules, customer.id, fields["current_password"], fields["new_password"], bearer_digest()
    )
    return Response(status=204)


# -- address book -----------------------------------------------------------------------
@blp.route("/customers/me/addresses", methods=["GET"])
@requires_customer
@blp.response(200, AddressSchema(many=True))
def list_addresses():
    """The caller's address book, oldest first (at most `max_addresses`, so not paginated)."""
    book = addresses.list_addresses(runtime().store, current_customer().id)
    return json_response([address_to_dict(a) for a in book], headers=NO_STORE)


@blp.route("/customers/me/addresses", methods=["POST"])
@requires_customer
@blp.arguments(AddressWriteSchema)
@blp.response(201, AddressSchema, headers=LOCATION)
@blp.alt_response(409, schema=ProblemSchema, description="ADDRESS_LIMIT_REACHED")
@blp.alt_response(422, schema=ProblemSchema)
def create_address(fields):
    """Add an address. The first one becomes the default shipping and billing address."""
    customer = current_customer()
    sim, rules = _context()
    address = addresses.create_address(sim.store, sim.clock, rules, customer.id, fields)
    return _address_answer(address, 201, {"Location": f"{ME}/addresses/{address.id}"})


@blp.route("/customers/me/addresses/<address_id>", methods=["GET"])
@requires_customer
@blp.response(200, AddressSchema)
@blp.alt_response(404, schema=ProblemSchema, description="ADDRESS_NOT_FOUND (also for another customer's address)")
@blp.doc(parameters=[IF_NONE_MATCH])
def get_address(address_id):
    """One address of the caller."""
    address = addresses.get_address(runtime().store, current_customer().id, address_id)
    tag = etag(address.version)
    if not_modified(tag):
        return Response(status=304, headers={"ETag": tag})
    return _address_answer(address)


@blp.route("/customers/me/addresses/<address_id>", methods=["PUT"])
@requires_customer
@blp.arguments(AddressWriteSchema)
@blp.response(200, AddressSchema)
@blp.alt_response(404, schema=ProblemSchema, description="ADDRESS_NOT_FOUND")
@blp.alt_response(412, schema=ProblemSchema, description="VERSION_MISMATCH: `If-Match` is stale.")
@blp.alt_response(422, schema=ProblemSchema)
@blp.doc(parameters=[IF_MATCH])
def replace_address(fields, address_id):
    """Replace an address. Default flags left out stay as they are."""
    sim = runtime()
    return _address_answer(
        addresses.replace_address(sim.store, sim.clock, current_customer().id, address_id, fields, if_match_version())
    )


@blp.route("/customers/me/addresses/<address_id>", methods=["DELETE"])
@requires_customer
@blp.response(204)
@blp.alt_response(404, schema=ProblemSchema, description="ADDRESS_NOT_FOUND")
@blp.alt_response(412, schema=ProblemSchema, description="VERSION_MISMATCH: `If-Match` is stale.")
@blp.doc(parameters=[IF_MATCH])
def delete_address(address_id):
    """Delete an address; a default passes to the most recently added remaining address."""
    sim = runtime()
    addresses.delete_address(sim.store, sim.clock, current_customer().id, address_id, if_match_version())
    return Response(status=204)

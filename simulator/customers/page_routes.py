"""The account pages the links in mails open while no storefront is set (SIM_STOREFRONT_URL).

A shop's mails link to its storefront: the welcome mail to `/account`, the reset mail to
`/account/reset-password?token=…`. Without a storefront to point at, the simulator serves
these small pages itself, so every link in the outbox opens something that works: the
reset page sets a new password through the same webservice a storefront calls.
"""

from __future__ import annotations

import json
from html import escape

from flask import Response, url_for

from simulator.http.blueprints import Blueprint

blp = Blueprint(
    "account_pages", __name__, url_prefix="/account", strict_query=False,
    description="The simulator's account pages that links in mails open while SIM_STOREFRONT_URL is unset.",
)
HTML_PAGE = {200: {"description": "An HTML page", "content": {"text/html": {}}}}

#: Sends a form's fields as JSON to a webservice and shows the outcome: the problem's detail, or `done`.
_SUBMIT = """
document.querySelector("form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const out = document.getElementById("outcome");
  const body = Object.fromEntries(new FormData(event.target));
  const response = await fetch(%(url)s, {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
  out.textContent = response.ok ? %(done)s : ((await response.json()).detail || "Something went wrong.");
});
"""


def _page(title: str, body: str, script: str = "") -> Response:
    html = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title></head><body style='font-family:sans-serif;max-width:30em;margin:4em auto'>"
        f"<h1>{escape(title)}</h1>{body}<p id='outcome' role='status'></p>"
        f"<script>{script}</script></body></html>"
    )
    return Response(html, mimetype="text/html")


def _submit(url: str, done: str) -> str:
    return _SUBMIT % {"url": json.dumps(url), "done": json.dumps(done)}


@blp.route("", methods=["GET"])
@blp.doc(responses=HTML_PAGE)
def show_account_page():
    """Where the welcome mail points: the shop's account page, here a stand-in."""
    return _page(
        "Your account",
        "<p>This page stands in for the shop's account page. Set <code>SIM_STOREFRONT_URL</code> "
        "and the links in mails point at your storefront instead.</p>"
        f"<p><a href='{url_for('.show_forgot_password_page')}'>Forgot your password?</a></p>",
    )


@blp.route("/forgot-password", methods=["GET"])
@blp.doc(responses=HTML_PAGE)
def show_forgot_password_page():
    """Ask for a reset mail (it lands in the simulator outbox)."""
    return _page(
        "Forgot your password?",
        "<form><label>Email <input name='email' type='email' required></label> <button>Send the reset link</button></form>",
        _submit(url_for("customers.forgot_password"), "If an account exists for this email, a reset link is in the outbox."),
    )


@blp.route("/reset-password", methods=["GET"])
@blp.doc(responses=HTML_PAGE)
def show_reset_password_page():
    """Where the reset mail points (`?token=…`): set a new password with that token."""
    return _page(
        "Set a new password",
        "<form><input type='hidden' name='token'>"
        "<label>New password <input name='password' type='password' minlength='8' required></label> "
        "<button>Set the password</button></form>",
        "document.querySelector(\"input[name='token']\").value = new URLSearchParams(location.search).get('token') || '';"
        + _submit(url_for("customers.reset_password"), "Your password is set; log in with it."),
    )

"""/_sim/console: the page and its static assets (HTML, JS, CSS, all local; no build step).

The assets hold no data, so they are served without the admin token: the page asks for
the token, keeps it for the tab, and sends it with every call it makes to the /_sim JSON
API, which is guarded as always. A plain Flask blueprint: the page is not an API
operation, so it stays out of the OpenAPI document. The Guards in front (Host check,
no cross-site /_sim) apply to it like to any /_sim path.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, send_from_directory

STATIC = Path(__file__).resolve().parent / "static"

blp = Blueprint("console", __name__, url_prefix="/_sim/console", static_folder=STATIC, static_url_path="/static")

#: Everything comes from this origin; no inline script or style, no framing (clickjacking a
#: reset button), no forms posted elsewhere, no referrer carrying the console's URL away.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",  # revalidated (ETag): a new version of the page shows at once
}


@blp.after_request
def _secured(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    return response


@blp.route("", methods=["GET"])
def console() -> Response:
    """The console page; its data comes from the /_sim API, called by the page itself."""
    return send_from_directory(STATIC, "console.html")

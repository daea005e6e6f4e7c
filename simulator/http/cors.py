"""Cross-origin access for browser apps: the webservices (`/api/v1`) and the media (`/media`).

A storefront in development runs on another origin (`http://localhost:3000`) and
calls the simulator from the browser, so the webservices answer CORS with
flask-cors. The simulator controls (`/_sim`) get no CORS answer at all: a page on
another origin can neither read nor (with a preflight) change them.

SIM_CORS_ORIGINS: `*` (the default: any origin, for a development tool bound to
loopback), a comma-separated list of origins, or empty to turn CORS off.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from flask import Flask, Response, request
from flask_cors import CORS, cross_origin

from simulator.hostnames import parse_origins

#: Paths that answer CORS (flask-cors resource patterns: regular expressions).
CORS_PATHS = (r"/api/v1/.*", r"/media/.*")
#: Request headers a browser script may send.
ALLOWED_HEADERS = (
    "Authorization", "Content-Type", "If-Match", "If-None-Match", "Idempotency-Key", "X-Basket-Token",
    re.compile(r"X-Sim-[A-Za-z-]+", re.IGNORECASE),
)
#: Response headers a browser script may read (besides the CORS-safelisted ones).
EXPOSED_HEADERS = (
    "ETag", "X-Pagination", "Location", "Retry-After", "Idempotent-Replayed", "WWW-Authenticate",
    "X-Sim-Injected", "X-Sim-Latency-Ms",
)
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
#: Seconds a browser may cache a preflight answer.
PREFLIGHT_MAX_AGE = 600
#: Matches where flask-cors matches its resources (CORS_PATHS, at the start of the path).
_CORS_PATH = re.compile("|".join(f"(?:{path})" for path in CORS_PATHS))
ALLOW_ORIGIN = "Access-Control-Allow-Origin"


def is_preflight(environ: dict) -> bool:
    """A CORS preflight: answered by the app at once, never delayed, faulted or counted."""
    return environ.get("REQUEST_METHOD") == "OPTIONS" and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ


def install(app: Flask, origins_setting: str) -> None:
    origins = parse_origins(origins_setting)
    if not origins:
        return
    options = {
        "origins": "*" if origins == ("*",) else list(origins),
        "allow_headers": list(ALLOWED_HEADERS),
        "expose_headers": list(EXPOSED_HEADERS),
        "methods": list(METHODS),
        "max_age": PREFLIGHT_MAX_AGE,
    }
    CORS(app, resources={path: options for path in CORS_PATHS})
    # Registered after flask-cors's own hook, so it runs before it (Flask runs them in reverse).
    app.after_request(WithoutOrigin(_answer_without_origin(app, options)))


def _answer_without_origin(app: Flask, options: dict) -> list[tuple[str, str]]:
    """The headers flask-cors gives an answer of CORS_PATHS to a request without an
    `Origin` that is no preflight (its `always_send`), worked out by flask-cors itself
    on a probe answer: the probe's headers beyond those of a plain one."""
    with app.test_request_context("/", method="GET"):
        plain = app.response_class()
        probe = cross_origin(**options)(app.response_class)()
    return probe.headers.to_wsgi_list()[len(plain.headers.to_wsgi_list()):]


class WithoutOrigin:
    """flask-cors works an answer's headers out afresh for every request (~9 µs: path
    patterns, header lookups, dictionaries built and copied), though most requests (any
    client but a browser's script: a load test's, a backend's) send no `Origin`. Their
    CORS headers then do not depend on the request beyond its path (every path of
    CORS_PATHS has the same options), as long as it is no preflight and asks nothing of
    private networks: this adds the ones flask-cors worked out for such a request
    (`headers`). flask-cors then leaves the answer alone, as it leaves any answer that
    holds Access-Control-Allow-Origin already; every other request it answers itself.
    (`getlist`, not `get`: werkzeug's `get` of a missing header raises and catches an
    HTTP exception, ~1.5 µs, for nearly every answer.)"""

    def __init__(self, headers: list[tuple[str, str]]) -> None:
        self.headers = headers

    def __call__(self, response: Response) -> Response:
        current = request._get_current_object()  # once: each look through the proxy costs
        environ = current.environ
        if (environ.get("HTTP_ORIGIN") or environ.get("REQUEST_METHOD") == "OPTIONS"
                or "HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK" in environ
                or any(response.headers.getlist(ALLOW_ORIGIN)) or not _CORS_PATH.match(unquote(current.path))):
            return response
        for name, value in self.headers:
            response.headers.add(name, value)
        return response

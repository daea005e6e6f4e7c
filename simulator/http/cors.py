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

from flask import Flask
from flask_cors import CORS

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

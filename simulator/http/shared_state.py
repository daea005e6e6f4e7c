"""With a shared store, each request starts by catching up with the other workers
(`Runtime.refresh`: one round trip to Redis), before the simulation middleware reads
the config in force. When Redis cannot be reached the request answers 503
STORE_UNAVAILABLE at once, problem+json, instead of hanging or failing later."""

from __future__ import annotations

import logging

from simulator.errors import wsgi_problem

from .blueprints import EXTENSION
from .errors import STORE_UNAVAILABLE, STORE_UNAVAILABLE_DETAIL

log = logging.getLogger("simulator.errors")


class CatchUp:
    def __init__(self, app, runtime) -> None:
        self.app, self.runtime = app, runtime

    def __call__(self, environ, start_response):
        runtime = self.runtime
        try:
            runtime.refresh()
        except runtime.unavailable as error:
            log.warning("store unavailable: %s", error)
            return wsgi_problem(start_response, 503, STORE_UNAVAILABLE, STORE_UNAVAILABLE_DETAIL, headers=[("Retry-After", "1")])
        return self.app(environ, start_response)


def install(app) -> None:
    app.wsgi_app = CatchUp(app.wsgi_app, app.extensions[EXTENSION])

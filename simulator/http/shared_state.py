"""With a shared store, each request starts by catching up with the other workers
(`Runtime.refresh`: one round trip to Redis), before the simulation middleware reads
the config in force. What the request will read first (the first of `aheads(environ)`
to name some: the caller's basket, say) rides along in that round trip; an ahead that
fails reads nothing ahead. When Redis cannot be reached the request answers 503
STORE_UNAVAILABLE at once, problem+json, instead of hanging or failing later."""

from __future__ import annotations

import logging
from collections.abc import Callable

from simulator.errors import wsgi_problem
from simulator.store import ReadAhead

from .blueprints import EXTENSION
from .errors import STORE_UNAVAILABLE, STORE_UNAVAILABLE_DETAIL

log = logging.getLogger("simulator.errors")


#: What a request reads first, told by its WSGI environ (None: nothing worth reading ahead).
Ahead = Callable[[dict], ReadAhead | None]


class CatchUp:
    def __init__(self, app, runtime, aheads: tuple[Ahead, ...]) -> None:
        self.app, self.runtime, self.aheads = app, runtime, aheads

    def _ahead(self, environ: dict) -> ReadAhead | None:
        try:
            for ahead in self.aheads:
                found = ahead(environ)
                if found is not None:
                    return found
        except Exception:  # reading ahead only saves a round trip: the request goes on, its route answers
            log.exception("reading ahead failed for %s", environ.get("PATH_INFO", ""))
        return None

    def __call__(self, environ, start_response):
        runtime = self.runtime
        try:
            runtime.refresh(self._ahead(environ))
        except runtime.unavailable as error:
            log.warning("store unavailable: %s", error)
            return wsgi_problem(start_response, 503, STORE_UNAVAILABLE, STORE_UNAVAILABLE_DETAIL, headers=[("Retry-After", "1")])
        try:
            return self.app(environ, start_response)
        finally:
            runtime.request_done()


def install(app, *aheads: Ahead) -> None:
    """`aheads`: each route group's reads ahead; the first that names some is read."""
    app.wsgi_app = CatchUp(app.wsgi_app, app.extensions[EXTENSION], aheads)

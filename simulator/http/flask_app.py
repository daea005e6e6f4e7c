"""The simulator's Flask application class."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, Response
from flask.sessions import NullSession, SessionInterface
from werkzeug.routing import MapAdapter


class SimulatorResponse(Response):
    """Flask's Response, handing the server its headers without copying them first when
    nothing in them needs fixing. werkzeug copies every answer's headers (checking each
    value again) to fix those of a few answers: a `Location` or `Content-Location` made
    a URI, `Content-Length` dropped for 1xx, 204 and 304 and worked out when missing.
    An answer with none of those gets its own headers, as the copy would hold them."""

    def get_wsgi_response(self, environ: dict) -> tuple[Any, str, list[tuple[str, str]]]:
        status = self.status_code
        if status >= 200 and status not in (204, 304):
            headers = self.headers.to_wsgi_list()
            names = {name.lower() for name, _ in headers}
            if "content-length" in names and "location" not in names and "content-location" not in names:
                return self.get_app_iter(environ), self.status, headers
        return super().get_wsgi_response(environ)


#: What `Map.bind_to_environ` reads of a WSGI environ.
_BOUND_ENVIRON = (
    "HTTP_HOST", "SERVER_NAME", "SERVER_PORT", "wsgi.url_scheme", "HTTP_CONNECTION", "HTTP_UPGRADE",
    "SCRIPT_NAME", "PATH_INFO", "REQUEST_METHOD", "QUERY_STRING",
)


class NoSessions(SessionInterface):
    """The simulator keeps no Flask session (callers send tokens): every request gets the
    one null session, never saved, where Flask's default tries to sign a cookie session and
    makes a new null one for every request."""

    _null = NullSession()  # refuses every write, so one serves all requests

    def open_session(self, app: Flask, request: Any) -> NullSession:
        return self._null

    def save_session(self, app: Flask, session: Any, response: Any) -> None:
        return None


class SimulatorFlask(Flask):
    """Flask, remembering which functions it found plain. For every request Flask asks of
    each view and hook it calls whether it is a coroutine function (`ensure_sync`, ~1 µs
    each, about seven a request here), of the same few functions each time. A function
    found plain is let through at once later; any other still takes Flask's own path.
    Bounded, should some caller pass a new callable every time (a bound method of a new
    object)."""

    PLAIN_KEPT = 1024
    ADAPTERS_KEPT = 1024
    response_class = SimulatorResponse
    session_interface = NoSessions()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plain: set[Callable[..., Any]] = set()
        self._adapters: dict[tuple, _KeptBinding] = {}  # what the URL map is bound to → the binding

    def create_url_adapter(self, request: Any) -> MapAdapter | None:
        """Flask's URL adapter for the request, kept (`_KeptBinding`) for the environ values
        werkzeug binds the URL map to (~5 µs a request, for the same few values over and
        over: clients send the same requests). A binding is only read (matched against, built
        from), never changed, so a kept one serves any request of the same values. Bounded:
        emptied when full.
        (Flask also sets `request.host` eagerly here, for its trusted-hosts check: with none
        configured, werkzeug works it out, the same, when asked.)"""
        if request is None or self.config["TRUSTED_HOSTS"] is not None or self.url_map.host_matching:
            return super().create_url_adapter(request)
        environ = request.environ
        key = tuple(map(environ.get, _BOUND_ENVIRON))
        adapter = self._adapters.get(key)
        if adapter is None:
            adapter = _KeptBinding(super().create_url_adapter(request))
            if len(self._adapters) >= self.ADAPTERS_KEPT:
                self._adapters.clear()
            self._adapters[key] = adapter
        return adapter  # type: ignore[return-value]  # a MapAdapter to every reader

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        try:
            if func in self._plain:
                return func
        except TypeError:  # unhashable: not kept
            return super().ensure_sync(func)
        synced = super().ensure_sync(func)
        if synced is func:
            if len(self._plain) >= self.PLAIN_KEPT:
                self._plain.clear()
            self._plain.add(func)
        return synced


class _KeptBinding:
    """A kept URL binding that matches the request it is bound to once: the same bound values
    match the same rule with the same arguments (Flask fixes the routes before the first
    request), ~4 µs a request. Each request gets the arguments in a dict of its own; a
    match that fails (404, 405, a redirect) is tried anew each time. Everything else goes
    to the binding."""

    def __init__(self, adapter: MapAdapter) -> None:
        self._adapter = adapter
        self._matched: tuple[Any, dict[str, Any]] | None = None

    def match(self, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs != {"return_rule": True}:  # Flask's own call is the one kept
            return self._adapter.match(*args, **kwargs)
        if self._matched is None:
            self._matched = self._adapter.match(return_rule=True)
        rule, arguments = self._matched
        return rule, dict(arguments)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._adapter, name)

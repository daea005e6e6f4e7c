"""One guard for a bearer credential checked before the view runs (customers' tokens,
integration keys): its decorator, its once-a-request lookup and its OpenAPI security.

    guard = BearerGuard("customer", BEARER, lambda: sessions.authenticate(...))

    @blp.route("/customers/me", methods=["PATCH"])
    @guard.require                   # right under the route: before the body is parsed
    @blp.arguments(ProfilePatchSchema)
    def patch_me(changes):
        customer = guard.current()

`require` authenticates before anything else of the view runs, body parsing included:
a caller without a valid credential gets 401 and learns nothing about the body. It
documents the security scheme (the 401 comes with it, simulator.http.openapi) and marks
the view with `requires_<name> = True`, which the URL-map tests look for.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Generic, TypeVar

from flask import g
from flask_smorest import Blueprint

T = TypeVar("T")


class BearerGuard(Generic[T]):
    def __init__(self, name: str, security_scheme: str, authenticate: Callable[[], T]):
        self.marker = f"requires_{name}"
        self._cache = f"alegra_sim_{name}"  # flask.g attribute: one lookup per request
        self._authenticate = authenticate
        self._document = Blueprint.doc(security=[{security_scheme: []}])

    def require(self, view: Callable) -> Callable:
        """Only for a caller with the credential: 401 before the view, its body parsing included, runs."""

        @functools.wraps(view)  # keeps flask-smorest's `_apidoc` of the decorators below
        def authenticated_view(*args, **kwargs):
            self.current()
            return view(*args, **kwargs)

        setattr(authenticated_view, self.marker, True)
        return self._document(authenticated_view)

    def current(self) -> T:
        """The caller (401 otherwise), looked up once per request."""
        caller = g.get(self._cache)
        if caller is None:
            caller = self._authenticate()
            setattr(g, self._cache, caller)
        return caller

    def cached(self) -> bool:
        """Whether this request's caller has been looked up already."""
        return g.get(self._cache) is not None

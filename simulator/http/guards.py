"""Guards in front of everything, for a simulator on a shared host. WSGI, outermost.

- **Host** (DNS rebinding): while the server is bound to loopback, a request whose
  `Host` names neither a loopback name nor one of SIM_ALLOWED_HOSTS answers 421. A
  web page that rebinds its own name to 127.0.0.1 cannot read the simulator then.
- **Cross-site `/_sim`**: a browser request to the controls from another site (its
  `Origin` is not the simulator's own, or `Sec-Fetch-Site` says cross-site) answers
  403, so a page cannot reset the simulator with a form or a no-cors fetch.
- **Header controls** (`X-Sim-Latency`, `X-Sim-Fault`): refused with 403 while
  SIM_HEADER_CONTROLS is off; with an admin token set they need it, in `X-Sim-Token`
  or as the admin bearer. Strangers cannot slow, fail or sell out the shop for others.

Answers here are problem+json like any other; they are never delayed or counted.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from simulator.errors import wsgi_problem
from simulator.hostnames import host_name, is_loopback_name, parse_host_names

ADMIN_PREFIX = "/_sim"
SIM_HEADER_PREFIX = "HTTP_X_SIM_"
TOKEN_HEADER = "HTTP_X_SIM_TOKEN"
#: Host headers judged lately, and the verdicts. Clients send the same one or two Host
#: values over and over, and judging one parses it as an IP address (a few µs a
#: request). Bounded: a client sending ever new values only empties it now and then.
HOST_VERDICTS_KEPT = 256


class Guards:
    def __init__(self, app: Callable, *, check_host: bool, allowed_hosts: Iterable[str], header_controls: bool, admin_token: str):
        self.app = app
        self.check_host = check_host
        self.allowed_hosts = frozenset(allowed_hosts)
        self.header_controls = header_controls
        self.admin_token = admin_token.encode()
        self._host_verdicts: dict[str, bool] = {}  # Host header → allowed

    def __call__(self, environ: dict, start_response) -> Iterable[bytes]:
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
        if self.check_host and not self._host_allowed(host):
            return wsgi_problem(start_response, 421, "MISDIRECTED_REQUEST",
                                "This simulator answers only to loopback host names and SIM_ALLOWED_HOSTS.")
        path = environ.get("PATH_INFO") or ""
        if path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/"):
            if _cross_site(environ, host):
                return wsgi_problem(start_response, 403, "CROSS_SITE_FORBIDDEN",
                                    "Simulator controls do not answer requests from other sites.")
        elif _has_sim_control_header(environ):
            refusal = self._header_controls_refusal(environ)
            if refusal is not None:
                return wsgi_problem(start_response, 403, *refusal)
        return self.app(environ, start_response)

    def _host_allowed(self, host: str) -> bool:
        """Whether the Host header `host` names this simulator: the verdict is a function
        of the header alone (the allowed names are fixed), so a kept one is as good."""
        verdict = self._host_verdicts.get(host)
        if verdict is None:
            name = host_name(host)
            verdict = is_loopback_name(name) or name in self.allowed_hosts
            if len(self._host_verdicts) >= HOST_VERDICTS_KEPT:
                self._host_verdicts.clear()
            self._host_verdicts[host] = verdict
        return verdict

    def _header_controls_refusal(self, environ: dict) -> tuple[str, str] | None:
        if not self.header_controls:
            return "HEADER_CONTROLS_OFF", "X-Sim-* request headers are turned off on this simulator (SIM_HEADER_CONTROLS)."
        if not self.admin_token:
            return None
        given = environ.get(TOKEN_HEADER, "")
        scheme, _, bearer = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
        for candidate in (given, bearer if scheme.lower() == "bearer" else ""):
            if candidate and hmac.compare_digest(candidate.strip().encode("latin-1", "replace"), self.admin_token):
                return None
        return "SIM_TOKEN_REQUIRED", "X-Sim-* request headers need the admin token in X-Sim-Token."


def _has_sim_control_header(environ: dict) -> bool:
    """Whether the request carries an X-Sim-* header other than X-Sim-Token. Almost no
    request does: one search of the joined names (C speed) rules that out before the
    names are looked at one by one (~2 µs a request otherwise). WSGI names are text."""
    if "\n" + SIM_HEADER_PREFIX not in "\n" + "\n".join(environ):
        return False
    return any(name.startswith(SIM_HEADER_PREFIX) and name != TOKEN_HEADER for name in environ)


def _cross_site(environ: dict, host: str) -> bool:
    """A browser request made by a page of another site (no browser headers: not cross-site)."""
    if environ.get("HTTP_SEC_FETCH_SITE") in ("cross-site", "same-site"):
        return True
    origin = environ.get("HTTP_ORIGIN")
    if not origin:
        return False
    return urlsplit(origin).netloc.lower() != host.strip().lower()


def install(app, settings) -> None:
    """Wrap the app (outermost). The Host check applies while bound to a loopback
    address, or wherever SIM_ALLOWED_HOSTS names hosts."""
    allowed = parse_host_names(settings.allowed_hosts)
    app.wsgi_app = Guards(
        app.wsgi_app, check_host=is_loopback_name(host_name(settings.host)) or bool(allowed), allowed_hosts=allowed,
        header_controls=settings.header_controls, admin_token=settings.admin_token,
    )

"""The simulation around the routes: latency, faults and stats as one WSGI middleware.

WSGI rather than Flask's before/after_request, because the faults live below Flask:
a dropped connection closes the socket (gunicorn hands it over as
`environ["gunicorn.socket"]`), a truncated body announces a Content-Length and sends
less, and the server-side time of a request includes the delay injected before
Flask sees it. The routes know nothing of any of it.

Per request, in this order:

1. the endpoint group of the path (`groups.py`); no group (`/_sim`, `/docs`,
   `/openapi.json`): the request goes straight to the app, untouched and uncounted;
2. `X-Sim-Latency` / `X-Sim-Fault` are parsed; a bad value answers 400
   `INVALID_SIM_HEADER` (problem+json) and the route does not run;
3. the delay: the header's, else a sample of the group's profile; `time.sleep`, which
   the gevent worker turns into a cooperative wait, so a delayed request holds no
   worker and one process keeps serving hundreds of them;
4. the fault: the header's, else one draw against the group's rates. An error, a
   timeout or a dropped connection happens instead of the route (nothing changes);
   a truncated body is the route's answer, cut;

   a request that waits (a delay, a timeout fault) holds one of the worker's
   `delayed_request_slots` while it waits; with none free it answers 503
   `SIMULATION_BUSY` at once instead, so slow requests can never take every
   connection from normal traffic;
5. the route runs with the state as the decider of domain faults
   (`simulator.domain_faults`), a fault named by `X-Sim-Fault` forced;
6. stats: status, injected fault, server-side time (until the answer's headers are
   ready; a streamed body's transfer is not included).
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from http import HTTPStatus
from typing import Any

from simulator import domain_faults
from simulator.errors import PROBLEM_JSON, problem_body
from simulator.http.cors import is_preflight
from simulator.simulation import faults

from .groups import group_for_path
from .latency import MAX_LATENCY_MS, format_ms, parse_duration
from .state import SimState

LATENCY_HEADER = "HTTP_X_SIM_LATENCY"
FAULT_HEADER = "HTTP_X_SIM_FAULT"
MAX_LATENCY_HEADER = 64
#: Where an answer of unknown length is cut by a truncate fault.
TRUNCATE_UNKNOWN_LENGTH_AT = 16 * 1024
#: Retry-After of a SIMULATION_BUSY answer: waits are seconds long, slots free up soon.
BUSY_RETRY_AFTER_SECONDS = 1


class HeaderError(ValueError):
    def __init__(self, header: str, message: str):
        super().__init__(message)
        self.header, self.message = header, message


class _Dropped(ConnectionResetError):
    """Raised from the body iterator: gunicorn treats it as a peer reset and closes quietly."""


def _problem(start_response, status: int, code: str, detail: str, headers: list[tuple[str, str]] = (), errors=None) -> list[bytes]:
    body = json.dumps(problem_body(status, code, detail, errors)).encode()
    start_response(
        f"{status} {HTTPStatus(status).phrase}",
        [("Content-Type", PROBLEM_JSON), ("Content-Length", str(len(body))), ("Cache-Control", "no-store"), *headers],
    )
    return [body]


def _drop(environ, start_response) -> Iterator[bytes]:
    """Close the connection with a TCP reset, no answer sent."""
    sock = environ.get("gunicorn.socket")
    if sock is not None:
        try:  # linger 0: closing the socket sends RST instead of FIN
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    # Headers are only sent on the first write, and there is none.
    start_response("502 Bad Gateway", [("Content-Length", "0")])
    raise _Dropped(104, "connection dropped by the simulator (X-Sim-Injected: reset)")
    yield b""  # a generator: raises when the server reads the body


class SimulationMiddleware:
    def __init__(self, app: Callable, runtime: Any, delayed_request_slots: int):
        self.app = app
        self.runtime = runtime  # the Runtime: its simulation state is replaced on reset
        # Per process, as connections are. A gevent worker patches threading: the
        # semaphore is then gevent's, and a non-blocking acquire never waits either way.
        self.delay_slots = threading.BoundedSemaphore(delayed_request_slots)

    def __call__(self, environ: dict, start_response) -> Iterable[bytes]:
        group = None if is_preflight(environ) else group_for_path(environ.get("PATH_INFO") or "")
        if group is None:
            return self.app(environ, start_response)
        state = self.runtime.simulation  # read once: the whole request meets the same state
        started = time.perf_counter()
        compiled = state.compiled
        if LATENCY_HEADER not in environ and FAULT_HEADER not in environ and compiled.idle(group):
            return self._observe(environ, start_response, state, group, started)
        try:
            delay_ms, overridden = self._delay(environ, state, group)
            asked = self._fault_request(environ)
        except HeaderError as error:
            state.stats.record(group, 400, (time.perf_counter() - started) * 1000)
            return _problem(start_response, 400, "INVALID_SIM_HEADER",
                            f"{error.header}: {error.message}.", errors={error.header: error.message})
        fault = asked.fault if asked is not None else compiled.faults[group].decide(state.rng(f"faults:{group}"))
        waits = delay_ms > 0 or (fault is not None and fault.kind == "timeout")
        if waits and not self.delay_slots.acquire(blocking=False):
            state.stats.record(group, 503, (time.perf_counter() - started) * 1000, "busy", overridden)
            return _problem(start_response, 503, "SIMULATION_BUSY",
                            "This simulator holds as many delayed requests as it may (SIM_MAX_DELAYED_REQUESTS); "
                            "the request was not processed.", [("Retry-After", str(BUSY_RETRY_AFTER_SECONDS))])
        try:
            if delay_ms > 0:
                time.sleep(delay_ms / 1000)
            if fault is not None and fault.kind != "truncate":
                return self._inject(fault, asked, environ, start_response, state, group, started, overridden)
        finally:
            if waits:
                self.delay_slots.release()

        captured: list[Any] = []
        extra = [("X-Sim-Latency-Ms", f"{delay_ms:.1f}")] if delay_ms > 0 else []

        def capture(status: str, headers: list, exc_info=None):
            captured[:] = [status, headers]
            return start_response(status, headers + extra, exc_info) if fault is None else None

        try:
            with domain_faults.deciding(state.decide_domain, asked.domain if asked is not None else None):
                result = self.app(environ, capture)
        except BaseException:
            state.stats.record(group, 500, (time.perf_counter() - started) * 1000, None, overridden)
            raise
        status = int(captured[0].split(None, 1)[0]) if captured else 500
        if fault is not None:  # truncate: the route ran; its answer is cut short
            result = self._truncate(result, captured, extra, environ, start_response)
        state.stats.record(group, status, (time.perf_counter() - started) * 1000,
                           fault.label if fault is not None else None, overridden)
        return result

    def _observe(self, environ: dict, start_response, state: SimState, group: str, started: float) -> Iterable[bytes]:
        """The common case, kept cheap: nothing to inject, only the stats to record."""
        seen: list[str] = []

        def observe(status: str, headers: list, exc_info=None):
            seen.append(status)
            return start_response(status, headers, exc_info)

        try:
            with domain_faults.deciding(state.decide_domain):
                result = self.app(environ, observe)
        except BaseException:
            state.stats.record(group, 500, (time.perf_counter() - started) * 1000)
            raise
        # The status line's code as it is counted: text, no round trip through int.
        state.stats.record(group, seen[-1][:3] if seen else 500, (time.perf_counter() - started) * 1000)
        return result

    # -- parsing the headers -----------------------------------------------------------
    @staticmethod
    def _delay(environ: dict, state: SimState, group: str) -> tuple[float, bool]:
        raw = environ.get(LATENCY_HEADER)
        if raw is None:
            profile = state.compiled.latency[group]
            return (profile.sample(state.rng(f"latency:{group}")) if profile.kind != "none" else 0.0), False
        text = raw.strip()
        named = state.compiled.named
        if len(raw) <= MAX_LATENCY_HEADER:
            if text.lower() in named:
                return named[text.lower()].sample(state.rng(f"latency:{group}")), True
            try:
                return parse_duration(text), True
            except ValueError:
                pass
        names = f", or a profile name ({', '.join(sorted(named))})" if named else ""
        raise HeaderError(
            "X-Sim-Latency",
            f"must be a duration such as 250ms, 1.5s or 250 (milliseconds), at most {format_ms(MAX_LATENCY_MS)}{names}",
        )

    @staticmethod
    def _fault_request(environ: dict) -> faults.FaultRequest | None:
        raw = environ.get(FAULT_HEADER)
        if raw is None:
            return None
        try:
            return faults.parse_fault_header(raw)
        except ValueError as error:
            raise HeaderError("X-Sim-Fault", str(error)) from None

    # -- faults --------------------------------------------------------------------------
    def _inject(self, fault: faults.Fault, asked, environ, start_response, state: SimState, group: str,
                started: float, overridden: bool) -> Iterable[bytes]:
        rule = state.compiled.faults[group]
        kind, label = fault.kind, fault.label
        if kind == "timeout":
            wait = asked.timeout_seconds if asked is not None and asked.timeout_seconds is not None else rule.timeout_seconds
            time.sleep(wait)
            if rule.timeout_action == "drop":
                kind = "reset"
        elapsed_ms = (time.perf_counter() - started) * 1000
        if kind == "reset":
            state.stats.record(group, "dropped", elapsed_ms, label, overridden)
            return _drop(environ, start_response)
        status = 504 if kind == "timeout" else fault.status
        headers = [("X-Sim-Injected", label)]
        if status in (429, 503):
            headers.append(("Retry-After", str(rule.retry_after_seconds)))
        state.stats.record(group, status, elapsed_ms, label, overridden)
        detail = (
            f"The simulator gave up after {wait:g} s, as configured (X-Sim-Injected: timeout)."
            if kind == "timeout"
            else f"Injected by the simulator: a {status} answer (X-Sim-Injected: {label}); the request was not processed."
        )
        return _problem(start_response, status, "INJECTED_FAULT", detail, headers)

    @staticmethod
    def _truncate(result: Iterable[bytes], captured: list, extra: list, environ: dict, start_response) -> Iterable[bytes]:
        status, headers = captured
        length = next((int(value) for name, value in headers if name.lower() == "content-length"), None)
        code = int(status.split(None, 1)[0])
        if environ.get("REQUEST_METHOD") == "HEAD" or code in (204, 304) or length == 0:
            start_response(status, headers + extra)  # nothing to cut
            return result
        cut = max(length // 2, 1) if length is not None else TRUNCATE_UNKNOWN_LENGTH_AT
        start_response(status, headers + extra + [("X-Sim-Injected", "truncate")])
        real_server = "gunicorn.socket" in environ

        def body() -> Iterator[bytes]:
            sent = 0
            try:
                for chunk in result:
                    take = chunk[: cut - sent]
                    sent += len(take)
                    if take:
                        yield take
                    if sent >= cut:
                        break
            finally:
                if hasattr(result, "close"):
                    result.close()
            if real_server:  # close the connection, the announced length never reached
                raise _Dropped(104, "body truncated by the simulator (X-Sim-Injected: truncate)")

        return body()


def install(app) -> None:
    """Wrap the app's WSGI callable (called by create_app)."""
    from simulator.http.blueprints import EXTENSION

    runtime = app.extensions[EXTENSION]
    app.wsgi_app = SimulationMiddleware(app.wsgi_app, runtime, runtime.settings.delayed_request_slots)

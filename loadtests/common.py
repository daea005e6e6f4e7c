"""What the scenarios share: a FastHttpUser that knows the contract's answers.

`ApiUser.api()` makes one request and decides what it means:

- a status in `expect` is a right answer, if `check` (a function of the decoded body
  returning the problems, see checks.py) finds nothing wrong; otherwise it is a
  failure whose message starts with WRONG_ANSWER;
- a `(status, code)` in `accept` is a legitimate answer of a shop (409
  INSUFFICIENT_STOCK on an add, 422 COUPON_UNKNOWN for a bogus coupon, …): marked a
  success with catch_response, and handed back so the scenario can act on it;
- anything else is a failure that names the status, the problem code and its detail.

Connections are kept alive: FastHttpUser (geventhttpclient) pools them per user and
HTTP/1.1 keeps each open between requests; nothing here asks to close them.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import orjson
from locust import FastHttpUser

from .checks import failure_message
from .settings import think_time

DEFAULT_HOST = "http://127.0.0.1:8000"


@dataclass
class Answer:
    status: int
    body: Any
    ok: bool  # a right answer, or an accepted one
    headers: Any = None

    @property
    def code(self) -> str | None:
        return self.body.get("code") if isinstance(self.body, dict) else None

    @property
    def right(self) -> bool:
        """A right answer with an expected status (not merely an accepted problem)."""
        return self.ok and self.status < 400


class ApiUser(FastHttpUser):
    abstract = True
    host = DEFAULT_HOST  # --host (or `host` in locust.conf) overrides it
    scenario = "unknown"
    wait_time = think_time
    # Fail fast rather than hold a user for a minute when the backend stops answering.
    network_timeout = 30.0
    connection_timeout = 10.0
    default_headers = {"Accept": "application/json", "Connection": "keep-alive"}

    def __init__(self, environment):
        super().__init__(environment)
        self.rng = random.Random()
        self.auth: dict[str, str] = {}

    def context(self) -> dict:
        return {"scenario": self.scenario}

    @property
    def load_run(self):
        """This process's LoadRun (set up by the locustfile's init hook)."""
        return getattr(self.environment, "alegra_run", None)

    def api(
        self,
        method: str,
        path: str,
        *,
        name: str,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
        expect: Iterable[int] = (200,),
        accept: Iterable[tuple[int, str]] = (),
        check: Callable[[Any], list[str]] | None = None,
        kind: str = "answer",
        params: dict[str, Any] | None = None,
    ) -> Answer:
        sent = {**self.auth, **(headers or {})}
        expect, accept = tuple(expect), tuple(accept)
        if params:
            query = urlencode({key: value for key, value in params.items() if value is not None})
            path = f"{path}?{query}" if query else path
        with self.client.request(method, path, name=name, json=json_body, headers=sent, catch_response=True) as response:
            status = response.status_code
            if not status:
                response.failure(f"{method} {name}: no answer ({getattr(response, 'error', None)!r})")
                return Answer(0, None, False)
            body: Any = None
            raw = response.content
            if raw:
                try:
                    body = orjson.loads(raw)  # 0.7 of json's time on a product list, 0.4 on a basket: Locust's CPU is the load's
                except ValueError:  # orjson.JSONDecodeError is one
                    response.failure(f"{method} {name}: {status} answer is not JSON: {raw[:120]!r}")
                    return Answer(status, None, False, response.headers)
            if status in expect:
                problems = check(body) if check else []
                if problems:
                    response.failure(failure_message(kind, problems))
                    return Answer(status, body, False, response.headers)
                response.success()
                return Answer(status, body, True, response.headers)
            code = body.get("code") if isinstance(body, dict) else None
            if (status, code) in accept:
                response.success()
                return Answer(status, body, True, response.headers)
            detail = body.get("detail") if isinstance(body, dict) else None
            response.failure(f"{method} {name}: {status} {code or ''} {detail or ''}".strip())
            return Answer(status, body, False, response.headers)

    def report_check(self, name: str, seconds: float, size: int, problem: str | None) -> None:
        """A result that is not an HTTP request (the catalog sync's replica check) in the report."""
        self.environment.events.request.fire(
            request_type="CHECK",
            name=name,
            response_time=seconds * 1000,
            response_length=size,
            exception=AssertionError(problem) if problem else None,
            context=self.context(),
            response=None,
            url=None,
        )

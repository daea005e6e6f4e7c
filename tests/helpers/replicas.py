"""Replicas of the simulator for the multi-replica suite (tests/scale): the same tests run
against one in-memory worker, and against two simulator servers on two ports sharing one
Redis (tests/helpers/redis_server.py), alternating requests between them."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field

import requests

from simulator.launch import SimulatorProcess

#: Replicas behind one load balancer share its URL: the links they hand out (image URLs) are the same.
SETTINGS = {"products": 300, "customers": 20, "password_hash_profile": "fast", "churn_per_minute": 0, "log_level": "warning",
            "public_url": "http://shop.test"}


@dataclass
class Replicas:
    """The servers of one layout; `url()` hands them out in turn."""

    urls: list[str]
    processes: list[SimulatorProcess] = field(default_factory=list)
    _turn: itertools.count = field(default_factory=itertools.count)
    _local: threading.local = field(default_factory=threading.local)

    def url(self, index: int | None = None) -> str:
        return self.urls[(next(self._turn) if index is None else index) % len(self.urls)]

    @property
    def session(self) -> requests.Session:
        """One HTTP session per thread (requests' sessions are not thread-safe)."""
        found = getattr(self._local, "session", None)
        if found is None:
            found = self._local.session = requests.Session()
        return found

    def call(self, method: str, path: str, index: int | None = None, **kwargs) -> requests.Response:
        return self.session.request(method, self.url(index) + path, timeout=30, **kwargs)


def start_servers(count: int, settings: dict) -> list[SimulatorProcess]:
    servers = [SimulatorProcess(settings, ready_timeout=120) for _ in range(count)]
    try:
        for server in servers:
            server.start()
        for server in servers:
            server.wait_ready()
    except BaseException:
        for server in servers:
            server.stop()
        raise
    return servers

"""Serving under gunicorn with gevent workers.

gevent workers park a sleeping request (injected latency, a slow stream) on a
greenlet instead of holding an OS thread, so one process serves hundreds of slow
requests. One worker process by default: with the in-memory store each process
would hold its own state, and every request must see one consistent state. With a
shared store (SIM_STORE=redis://…) SIM_WORKERS=N runs N worker processes.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
from collections.abc import Callable

from flask import Flask
from gunicorn.app.base import BaseApplication

from .config import Settings, check_serving
from .runtime import freeze_heap


class UnsafeBind(SystemExit):
    pass


def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return host == "localhost"
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        try:
            return all(ipaddress.ip_address(info[4][0]).is_loopback for info in socket.getaddrinfo(host, None))
        except OSError:
            return False


def check_bind(settings: Settings) -> None:
    """Refuse to expose unauthenticated simulator controls beyond this machine."""
    if is_loopback(settings.host) or settings.admin_token or settings.allow_public_without_token:
        return
    raise UnsafeBind(
        f"refusing to serve on {settings.host!r} without an admin token: anyone who can reach it could "
        "reset or edit the simulator. Set SIM_ADMIN_TOKEN=<secret> (then /_sim calls need "
        "'Authorization: Bearer <secret>'), or SIM_ALLOW_PUBLIC_WITHOUT_TOKEN=1 to accept the risk."
    )


class SimulatorServer(BaseApplication):
    def __init__(self, settings: Settings, app_factory: Callable[[], Flask]):
        self.settings = settings
        self.app_factory = app_factory
        super().__init__()

    def load_config(self) -> None:
        s = self.settings
        self.cfg.set("bind", f"[{s.host}]:{s.port}" if ":" in s.host else f"{s.host}:{s.port}")
        self.cfg.set("workers", s.workers)
        self.cfg.set("worker_class", "gevent")
        self.cfg.set("worker_connections", s.worker_connections)
        self.cfg.set("loglevel", s.log_level)
        self.cfg.set("keepalive", 5)
        # Seeding a large catalog happens in the worker before it serves: give it time.
        self.cfg.set("timeout", 120)
        self.cfg.set("graceful_timeout", 5)
        self.cfg.set("proc_name", "alegra-sim")

    def load(self) -> Flask:
        app = self.app_factory()
        freeze_heap()  # in the worker, before it serves: no full collection walks the catalog
        return app


def serve(settings: Settings, app_factory: Callable[[], Flask]) -> None:
    check_serving(settings)  # a SettingsError: the command line prints it and exits 2
    try:
        check_bind(settings)
    except UnsafeBind as refusal:
        print(f"alegra-sim: {refusal}", file=sys.stderr)
        raise SystemExit(2) from None
    print(
        f"alegra-sim: seeding {settings.products} products (seed {settings.seed}), then serving on "
        f"http://{settings.host}:{settings.port}  (API docs: /docs)"
        + (f"; {settings.workers} worker(s) sharing a Redis store" if settings.store != "memory" else ""),
        file=sys.stderr,
        flush=True,
    )
    SimulatorServer(settings, app_factory).run()

"""The real server (gunicorn + gevent) for tests that need one: simulator.launch does it."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from simulator.launch import SimulatorProcess, free_port  # noqa: F401 (free_port: for tests that need a port)

ROOT = Path(__file__).resolve().parent.parent.parent


@contextmanager
def running_server(timeout: float = 60.0, **env: str):
    """The server's URL, with these SIM_* settings (the caller's own SIM_* are ignored)."""
    settings = {"log_level": "warning", **{name.removeprefix("SIM_").lower(): value for name, value in env.items()}}
    with SimulatorProcess(settings, ready_timeout=timeout) as server:
        yield server.url

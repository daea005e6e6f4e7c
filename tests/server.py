"""Start the real server (gunicorn + gevent) as a subprocess, for tests that need one."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_server(timeout: float = 60.0, **env: str):
    """The server on a free port with these SIM_* settings (the caller's own SIM_* are ignored)."""
    port = free_port()
    inherited = {name: value for name, value in os.environ.items() if not name.startswith("SIM_")}
    environ = {**inherited, "SIM_PORT": str(port), "SIM_LOG_LEVEL": "warning", **env}
    process = subprocess.Popen(
        [sys.executable, "-m", "simulator", "serve"],
        cwd=ROOT, env=environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited: {process.stdout.read().decode()}")
            try:
                requests.get(base + "/_sim/clock", timeout=5)
                break
            except (requests.ConnectionError, requests.Timeout):
                # Refused before the master listens; a read timeout while the worker still seeds.
                if time.monotonic() > deadline:
                    raise TimeoutError("server did not answer in time") from None
                time.sleep(0.1)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

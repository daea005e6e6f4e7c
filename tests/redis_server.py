"""A real Redis for the shared-store tests: Debian's `redis-server` as a child process on a
free loopback port, nothing written to disk, stopped at the end.

Where redis-server is missing, `redis_server_or_skip()` skips with the reason, and
`make test` installs it when it can (root with apt: scripts/system-deps). In CI
(`CI=true`) a missing redis-server fails the run instead: there these tests must run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from simulator.launch import free_port

REASON = "the shared-store tests need Debian's redis-server (apt-get install redis-server)"


def redis_server_or_skip() -> str:
    """The redis-server executable; skip (or fail in CI) when it is missing."""
    found = shutil.which("redis-server") or next((p for p in ("/usr/bin/redis-server", "/usr/sbin/redis-server") if os.path.exists(p)), None)
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail(REASON + ": CI must run them")
    pytest.skip(REASON)


class RedisServer:
    """One redis-server; `stop()` and `start()` again on the same port play a Redis that went away."""

    def __init__(self, executable: str, port: int | None = None) -> None:
        self.executable = executable
        self.port = port or free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="alegra-sim-redis-"))
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> RedisServer:
        self.process = subprocess.Popen(
            [self.executable, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.directory), "--protected-mode", "yes"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        import redis

        while True:
            try:
                redis.Redis(port=self.port, socket_timeout=0.5).ping()
                return self
            except redis.exceptions.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start on port {self.port}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def client(self):
        import redis

        return redis.Redis(port=self.port)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_server():
    """A redis-server for the whole session (tests keep apart by generation or FLUSHALL)."""
    server = RedisServer(redis_server_or_skip()).start()
    yield server
    server.close()


@pytest.fixture
def redis_url(redis_server) -> str:
    """The session's Redis, emptied for this test."""
    if redis_server.process is None:
        redis_server.start()
    redis_server.client().flushall()
    return redis_server.url

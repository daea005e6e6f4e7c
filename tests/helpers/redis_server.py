"""A real Redis for the shared-store tests: Debian's `redis-server` as a child process on a
free loopback port, nothing written to disk, stopped at the end.

Where redis-server is missing, `redis_server_or_skip()` skips with the reason, and
`make test` installs it when it can (root with apt: scripts/system-deps). In CI
(`CI=true`) a missing redis-server fails the run instead: there these tests must run.
"""

from __future__ import annotations

import os
import shutil

import pytest
import redis.connection

from simulator.launch import RedisProcess

REASON = "the shared-store tests need Debian's redis-server (apt-get install redis-server)"


def redis_server_or_skip() -> str:
    """The redis-server executable; skip (or fail in CI) when it is missing."""
    found = shutil.which("redis-server") or next((p for p in ("/usr/bin/redis-server", "/usr/sbin/redis-server") if os.path.exists(p)), None)
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail(REASON + ": CI must run them")
    pytest.skip(REASON)


class RedisServer(RedisProcess):
    """simulator.launch.RedisProcess, its temporary folder removed at the end."""

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


class RoundTrips(list):
    """The commands sent to Redis (a command, a pipeline or a script call: one round trip
    each), the first 120 bytes of each."""

    def during(self, action) -> list[bytes]:
        """The round trips `action()` made."""
        self.clear()
        action()
        return list(self)


@pytest.fixture
def round_trips(monkeypatch) -> RoundTrips:
    """Counts every round trip to Redis from here on, in this process."""
    sent = RoundTrips()
    send = redis.connection.AbstractConnection.send_packed_command

    def counted(connection, command, *args, **kwargs):
        sent.append((command if isinstance(command, bytes) else b"".join(command))[:120])
        return send(connection, command, *args, **kwargs)

    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", counted)
    return sent

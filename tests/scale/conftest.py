"""Fixtures of the multi-replica suite; what is not a fixture lives in tests/helpers/replicas.py."""

from __future__ import annotations

import pytest

from tests.helpers.redis_server import redis_server  # noqa: F401 (a fixture)
from tests.helpers.replicas import SETTINGS, Replicas, start_servers


@pytest.fixture(scope="module", params=["memory", "redis"])
def replicas(request):
    """One in-memory server, or two servers sharing one Redis; reset before each module's tests."""
    if request.param == "memory":
        servers = start_servers(1, SETTINGS)
    else:
        redis_server = request.getfixturevalue("redis_server")
        if redis_server.process is None:
            redis_server.start()
        redis_server.client().flushall()
        servers = start_servers(2, {**SETTINGS, "store": redis_server.url})
    try:
        yield Replicas([server.url for server in servers], servers)
    finally:
        for server in servers:
            server.stop()


@pytest.fixture
def shared(replicas):
    """The replicas, reset to the seeded state (through one of them: all see it)."""
    assert replicas.call("post", "/_sim/reset", json={}).status_code == 200
    return replicas

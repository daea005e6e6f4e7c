"""Stores of each implementation for the store tests: in memory, and Redis (a real
redis-server, tests/helpers/redis_server.py)."""

import uuid

import pytest

from simulator.store import InMemoryStore
from tests.helpers.redis_server import redis_server, redis_url  # noqa: F401 (fixtures)
from tests.store.things import CODEC


@pytest.fixture(params=["memory", "redis"])
def make_store(request):
    """store(seed=0): a new, empty store of the implementation under test."""
    if request.param == "memory":
        return InMemoryStore
    from simulator.store.redis import RedisStore
    from simulator.store.redis_connections import connect

    client = connect(request.getfixturevalue("redis_url"))
    return lambda seed=0: RedisStore(client, CODEC, uuid.uuid4().hex[:10], seed)


@pytest.fixture
def two_processes(redis_url):  # noqa: F811
    """Two stores over the same generation, as two worker processes would hold them."""
    from simulator.store.redis import RedisStore
    from simulator.store.redis_connections import connect

    generation = uuid.uuid4().hex[:10]
    return [RedisStore(connect(redis_url), CODEC, generation, 0, local_kinds=("thing",), straight=connect(redis_url, straight=True))
            for _ in range(2)]


@pytest.fixture
def shared_pair(redis_url):  # noqa: F811
    """Two stores over the same generation, no local kinds: every read goes to Redis."""
    from simulator.store.redis import RedisStore
    from simulator.store.redis_connections import connect

    generation = uuid.uuid4().hex[:10]
    return [RedisStore(connect(redis_url), CODEC, generation, 0) for _ in range(2)]

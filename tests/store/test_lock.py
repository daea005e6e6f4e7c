"""The Redis store's lock under gevent (a gunicorn gevent worker): held for the real duration
of the section's round trips, not for as long as the process's other greenlets take to run."""

import socket
import uuid

import pytest
import redis

from simulator.store.redis import RedisStore
from simulator.store.redis_connections import connect
from tests.helpers.redis_server import redis_server, redis_url  # noqa: F401 (fixtures)
from tests.store.things import CODEC, Thing
from tests.test_offload import run_under_gevent


def test_under_gevent_no_other_greenlet_runs_while_a_section_holds_the_lock(redis_url):  # noqa: F811
    # A reader greenlet (another request) reads in a loop; a section of a few reads and a
    # write runs meanwhile. With the straight connection none of the reader's round trips
    # completes from taking the lock to releasing it; with the cooperative one alone they
    # interleave with the section's.
    answer = run_under_gevent(f"""
        from dataclasses import replace

        import redis

        from simulator.store.redis import RedisStore
        from simulator.store.redis_connections import connect
        from tests.store.things import CODEC, Thing

        def reads_during_a_section(generation, straight):
            # redis-py's own connections as the cooperative ones: they yield before every command
            # (the store's own yield only while an answer is not there yet, which may be never).
            store = RedisStore(redis.Redis.from_url({redis_url!r}), CODEC, generation, 0, straight=straight)
            store.put("thing", Thing("t_1"))
            reads = [0]

            def reader():
                while True:
                    store.get("thing", "t_1")
                    reads[0] += 1

            other = gevent.spawn(reader)
            with store.atomic():  # the first section connects (a cooperative connect)
                store.get("thing", "t_1")
            before = reads[0]
            with store.atomic():
                for _ in range(5):
                    current = store.get("thing", "t_1")
                store.put("thing", replace(current, count=current.count + 1))
            during = reads[0] - before
            other.kill()
            assert store.get("thing", "t_1").count == 1
            return during

        print(reads_during_a_section("straight", connect({redis_url!r}, straight=True)),
              reads_during_a_section("cooperative", None))
    """)
    straight, cooperative = map(int, answer.split())
    assert straight == 0 and cooperative > 0, answer


def test_after_a_round_trip_under_the_lock_failed_sections_go_cooperatively_until_one_succeeds(redis_url):  # noqa: F811
    # A Redis that hangs would hold the whole process for each straight round trip (a second
    # each, per waiting section); after one fails, sections use the cooperative client until
    # one succeeds. Here the straight client reaches nothing at all.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        nowhere = f"redis://127.0.0.1:{probe.getsockname()[1]}/0"
    store = RedisStore(connect(redis_url), CODEC, uuid.uuid4().hex[:10], 0, straight=connect(nowhere, straight=True))
    with pytest.raises(redis.exceptions.ConnectionError), store.atomic():
        pass
    with store.atomic():
        store.put("thing", Thing("t_1"))
    assert store.get("thing", "t_1") == Thing("t_1")
    with pytest.raises(redis.exceptions.ConnectionError), store.atomic():  # once one succeeded, straight again
        pass


def test_under_gevent_the_pools_check_for_waiting_data_lets_no_other_greenlet_run(redis_url):  # noqa: F811
    # The pool asks a connection whether data waits before every command. gevent's poll
    # lets every ready greenlet run first even with no timeout; the store's connections
    # poll with the standard library. Counted: how many times a busy greenlet ran during
    # 200 such checks, on redis-py's own connection and on the store's.
    answer = run_under_gevent(f"""
        import redis

        from simulator.store.redis_connections import connect

        def runs_during_checks(client):
            connection = client.connection_pool.get_connection()
            connection.connect()
            runs = [0]

            def busy():
                while True:
                    runs[0] += 1
                    gevent.sleep(0)

            other = gevent.spawn(busy)
            gevent.sleep(0)
            before = runs[0]
            for _ in range(200):
                assert not connection.can_read()
            during = runs[0] - before
            other.kill()
            client.connection_pool.release(connection)
            return during

        print(runs_during_checks(redis.Redis.from_url({redis_url!r})), runs_during_checks(connect({redis_url!r})))
    """)
    plain, store = map(int, answer.split())
    assert plain > 0 and store == 0, answer

"""The Redis store's client under gevent (a gunicorn gevent worker): the commands of the
greenlets that run in one turn of the loop travel together (simulator/store/batching.py),
each answered as if it had gone alone."""

import json

from tests.helpers.redis_server import redis_server, redis_url  # noqa: F401 (fixtures)
from tests.test_offload import run_under_gevent

PRELUDE = """
        import json

        import redis

        from simulator.store.batching import BatchingRedis
        from simulator.store.redis import connect

        sent = []
        send = redis.connection.AbstractConnection.send_packed_command

        def counted(connection, command, *args, **kwargs):
            sent.append(command if isinstance(command, bytes) else b"".join(command))
            return send(connection, command, *args, **kwargs)

        redis.connection.AbstractConnection.send_packed_command = counted
"""


def test_commands_of_one_turn_go_in_one_write_each_answered_as_alone(redis_url):  # noqa: F811
    answer = run_under_gevent(PRELUDE + f"""
        client = connect({redis_url!r})
        client.set("word", "not a number")
        double = client.register_script("return tonumber(ARGV[1]) * 2")
        client.script_flush()  # the scripts' first calls find no script: each loads it and calls again
        sent.clear()

        def ask(n):
            if n == 3:
                try:
                    return client.incr("word")
                except redis.ResponseError as error:
                    return "error: " + str(error)
            return [client.incr(f"n{{n % 2}}"), double(args=[n])]

        asking = [gevent.spawn(ask, n) for n in range(6)]
        gevent.joinall(asking)
        answers = [greenlet.value for greenlet in asking]
        incr_writes = [write.count(b"INCR") for write in sent if b"INCR" in write]
        sent.clear()
        alone = gevent.spawn(client.get, "n0").get()
        print(json.dumps({{"batching": isinstance(client, BatchingRedis), "answers": answers,
                          "incr_writes": incr_writes, "alone": [alone.decode(), len(sent)]}}))
    """)
    figures = json.loads(answer)
    assert figures["batching"] is True
    assert figures["answers"][:3] == [[1, 0], [1, 2], [2, 4]] and figures["answers"][4:] == [[3, 8], [2, 10]]
    assert figures["answers"][3].startswith("error: value is not an integer")  # its own error, no one else's
    assert figures["incr_writes"] == [1, 5]  # the first went at once; the five that came while it was on its way, together
    assert figures["alone"] == ["3", 1]  # alone, a command goes at once, in a write of its own


def test_a_connection_lost_mid_batch_keeps_the_answers_read_and_fails_the_rest(redis_url):  # noqa: F811
    answer = run_under_gevent(PRELUDE + f"""
        parse = BatchingRedis.parse_response
        failures = {{"left": 1}}

        def breaks_at_the_third(self, connection, command, **options):
            answer = parse(self, connection, command, **options)
            if answer == b"third" and failures["left"]:
                failures["left"] -= 1
                raise redis.ConnectionError("lost")
            return answer

        BatchingRedis.parse_response = breaks_at_the_third
        client = connect({redis_url!r})
        client.mset({{"a": "first", "b": "second", "c": "third", "d": "fourth"}})

        def get(key):
            try:
                return client.get(key).decode()
            except redis.ConnectionError as error:
                return "lost: " + str(error)

        getting = [gevent.spawn(get, key) for key in "abcd"]  # a goes alone; b, c and d together
        gevent.joinall(getting)
        lost = [greenlet.value for greenlet in getting]
        print(json.dumps([lost, [get(key) for key in "cd"]]))
    """)
    lost, after = json.loads(answer)
    assert lost == ["first", "second", "lost: lost", "lost: lost"]  # as each would have failed alone (the store answers 503)
    assert after == ["third", "fourth"]  # a new connection serves the next ones

"""The store's Redis client: single commands on its own idle connections, and what a
failure, a closed peer or a fork does to them."""

import multiprocessing

import pytest
import redis

from simulator.store.redis_connections import connect
from tests.helpers.redis_server import redis_server, redis_url  # noqa: F401 (fixtures)


def pool_takes(client) -> list[int]:
    """Counts the pool's connections handed out from here on: [count]."""
    taken = [0]
    get_connection = client.connection_pool.get_connection

    def counted(*args, **kwargs):
        taken[0] += 1
        return get_connection(*args, **kwargs)

    client.connection_pool.get_connection = counted
    return taken


def test_single_commands_skip_the_pool_and_pipelines_use_it(redis_url):  # noqa: F811
    client = connect(redis_url)
    taken = pool_takes(client)
    client.set("k", "v")
    assert [client.get("k") for _ in range(50)] == [b"v"] * 50
    assert client.evalsha(client.script_load("return redis.call('GET', KEYS[1])"), 1, "k") == b"v"
    assert taken[0] == 0
    with client.pipeline(transaction=False) as pipe:
        assert pipe.get("k").incr("n").execute() == [b"v", 1]
    assert taken[0] == 1


def test_commands_reuse_one_connection_one_after_another(redis_url):  # noqa: F811
    client = connect(redis_url)
    ids = {client.client_id() for _ in range(20)}
    assert len(ids) == 1


def test_a_timed_out_command_leaves_no_answer_behind(redis_url):  # noqa: F811
    # The client waits a second for an answer. A BLPOP that outlives it is abandoned: its
    # connection must be closed, or the server keeps it waiting and it takes the element
    # pushed next (and the next command on that connection reads the BLPOP's answer).
    client = connect(redis_url)
    client.set("k", "v")
    with pytest.raises(redis.exceptions.TimeoutError):
        client.blpop(["queue"], timeout=3)
    client.rpush("queue", "element")
    assert client.get("k") == b"v"
    assert client.lrange("queue", 0, -1) == [b"element"]


def test_a_connection_the_server_closed_while_idle_is_made_anew(redis_url):  # noqa: F811
    client = connect(redis_url)
    first = client.client_id()
    killer = redis.Redis.from_url(redis_url)
    assert killer.client_kill_filter(_id=first) == 1
    taken = pool_takes(client)
    assert client.get("missing") is None  # no error: reconnected before sending
    assert client.client_id() != first
    assert taken[0] == 0


def test_an_error_answer_keeps_the_connection(redis_url):  # noqa: F811
    client = connect(redis_url)
    first = client.client_id()
    client.set("text", "not a number")
    with pytest.raises(redis.exceptions.ResponseError):
        client.incr("text")
    assert client.client_id() == first


def _child_client_id(client, answers) -> None:
    answers.put(client.client_id())


def test_a_forked_child_makes_its_own_connections(redis_url):  # noqa: F811
    client = connect(redis_url)
    parent = client.client_id()
    answers = multiprocessing.get_context("fork").Queue()
    child = multiprocessing.get_context("fork").Process(target=_child_client_id, args=(client, answers))
    child.start()
    child.join(10)
    assert child.exitcode == 0
    assert answers.get(timeout=5) != parent
    assert client.client_id() == parent  # the parent's connection was left alone


def test_commands_of_every_argument_kind_reach_redis_as_redis_py_would_send_them(redis_url):  # noqa: F811
    from simulator.store.redis_connections import _packed

    client = connect(redis_url)
    connection = client.connection_pool.make_connection()
    for args in [("SET", "k", "välue"), ("SET", b"k", b"\x00\xff"), ("INCRBY", "n", 7), ("SET", "f", 1.5),
                 ("SET", "m", memoryview(b"view")), ("SCRIPT LOAD", "return 1"), ("EVALSHA", "a" * 40, 0, "x", b"y", 3)]:
        assert b"".join(_packed(connection, args)) == b"".join(connection.pack_command(*args)), args
    client.set("k", "välue")
    client.execute_command("SET", "m", memoryview(b"view"))
    client.execute_command("SET", "f", 1.5)
    assert (client.get("k"), client.get("m"), client.get("f")) == ("välue".encode(), b"view", b"1.5")
    assert client.script_load("return 1") == client.execute_command("SCRIPT LOAD", "return 1")


def test_a_command_whose_answer_is_lost_is_not_sent_again(redis_url, monkeypatch):  # noqa: F811
    # The connection fails while the answer is read: Redis may have run the command (an
    # INCR, a commit script). redis-py's own path does not retry it (no retries are
    # configured); sending it again on a pool connection would run it twice.
    client = connect(redis_url)
    client.set("n", 0)
    parse_response = client.parse_response
    failures = [1]

    def loses_the_answer(connection, command_name, **options):
        answer = parse_response(connection, command_name, **options)
        if failures and command_name == "INCRBY":  # what `incr` sends
            failures.pop()
            connection.disconnect()
            raise redis.exceptions.ConnectionError("Connection closed by server.")
        return answer

    monkeypatch.setattr(client, "parse_response", loses_the_answer)
    with pytest.raises(redis.exceptions.ConnectionError):
        client.incr("n")
    assert client.get("n") == b"1"


def test_a_command_that_cannot_be_sent_goes_through_the_pool(redis_url, monkeypatch):  # noqa: F811
    client = connect(redis_url)
    client.set("k", "v")
    taken = pool_takes(client)
    connection = client._idle[-1]
    send = connection.send_packed_command

    def fails_once(*args, **kwargs):
        monkeypatch.setattr(connection, "send_packed_command", send)
        connection.disconnect()
        raise redis.exceptions.ConnectionError("Error 32 while writing to socket. Broken pipe.")

    monkeypatch.setattr(connection, "send_packed_command", fails_once)
    assert client.get("k") == b"v"
    assert taken[0] == 1


def test_past_its_own_connections_a_command_goes_through_the_pool(redis_url, monkeypatch):  # noqa: F811
    from simulator.store import redis_connections

    monkeypatch.setattr(redis_connections, "CONNECTIONS", 1)
    client = connect(redis_url)
    client.set("k", "v")
    taken = pool_takes(client)
    parse_response = client.parse_response
    nested = []

    def meanwhile(connection, command_name, **options):  # another user while the one connection is out
        if command_name == "GET" and not nested:
            nested.append(client.incr("n"))
        return parse_response(connection, command_name, **options)

    monkeypatch.setattr(client, "parse_response", meanwhile)
    assert client.get("k") == b"v" and nested == [1]
    assert taken[0] == 1
    assert [client.get("k") for _ in range(5)] == [b"v"] * 5  # back on its own connection
    assert taken[0] == 1 and client._made == 1 and len(client._idle) == 1


def test_under_gevent_a_command_cut_short_leaves_no_answer_behind(redis_url):  # noqa: F811
    # A request's gevent.Timeout (or a killed greenlet) stops a command while it waits for
    # its answer: the connection goes back idle, and must not hand that answer to the next
    # command (nor keep the server's BLPOP waiting to take the element pushed next).
    from tests.test_offload import run_under_gevent

    answer = run_under_gevent(f"""
        from simulator.store.redis_connections import connect

        client = connect({redis_url!r})
        client.set("k", "v")
        try:
            with gevent.Timeout(0.1):
                client.blpop(["queue"], timeout=1)
        except gevent.Timeout:
            pass
        client.rpush("queue", "element")  # at once: the BLPOP, had it been left waiting, takes it
        first = (client.get("k"), client.lrange("queue", 0, -1))
        waiting = gevent.spawn(client.blpop, ["other"], timeout=1)
        gevent.sleep(0.05)
        waiting.kill()
        print(first, client.get("k"), client.rpush("other", "x"), client.lrange("other", 0, -1), len(client._idle))
    """)
    assert answer == "(b'v', [b'element']) b'v' 1 [b'x'] 1"


def test_connections_are_made_without_reading_the_package_metadata(redis_url, monkeypatch):  # noqa: F811
    """redis-py reads its version from the installed package's metadata for every connection
    made without a DriverInfo (half a millisecond each); the store's share one."""
    read = []
    monkeypatch.setattr(redis.utils, "get_lib_version", lambda: read.append(1) or redis.__version__)
    client = connect(redis_url)
    client.set("k", "v")  # one of the client's own connections
    with client.pipeline(transaction=False) as pipe:  # one of its pool's
        pipe.get("k").execute()
    assert read == []
    assert client.client_info()["name"] == "alegra-sim"


def test_closing_the_client_closes_its_connections(redis_url, monkeypatch):  # noqa: F811
    from simulator.store import redis_connections

    monkeypatch.setattr(redis_connections, "CONNECTIONS", 1)
    client, watcher = connect(redis_url), redis.Redis.from_url(redis_url)

    def open_connections() -> int:
        return sum(1 for entry in watcher.client_list() if entry["name"] == "alegra-sim")

    client.set("k", "v")  # one of the client's own connections
    with client.pipeline(transaction=False) as pipe:  # one of its pool's
        pipe.get("k").execute()
    assert open_connections() == 2
    client.close()
    assert open_connections() == 0
    taken = pool_takes(client)
    assert client.get("k") == b"v"  # a closed client still serves, on its own connection again
    assert taken[0] == 0 and open_connections() == 1

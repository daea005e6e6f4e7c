"""The Redis clients of a worker: short timeouts, connections that suit gevent, and single
commands that skip the pool's per-command bookkeeping.

`connect(url)` makes a redis-py client over a `BlockingConnectionPool`. Two things about
its connections are this simulator's own:

- their check for waiting data, which the pool makes before every command, polls with
  the standard library (`_PollsAtOnce`), and the store's round trips under its lock take
  connections that do not yield to other greenlets at all (`_Straight`);
- a single command (a script, the freshness check's GET) goes out on one of the
  client's own idle connections (`_Client`), not through the pool. redis-py's pool and
  client wrap every command in metrics hooks, a queue and its lock, retry closures and
  a timing record; on loopback that bookkeeping cost three quarters as much CPU again
  as the round trip itself (a GET: 56 µs through the client, 32 µs sent and read on a
  connection; `python -m bench scale` measures what it gives a request). Pipelines still use the
  pool. What a failure does is unchanged: a connection that fails while sending or
  reading disconnects itself (nothing half read is left for the next command); a command
  that could not be sent goes through redis-py's own path and policy, and one whose
  answer was lost is not sent again (it may have run).
"""

from __future__ import annotations

import functools
import os
import select
import socket
import sys
from typing import Any

import redis
from redis.driver_info import DriverInfo

try:
    import hiredis
except ImportError:  # redis-py packs and parses in Python then
    hiredis = None

#: Connections per process and client, for single commands and again in its pool (pipelines,
#: commands past the first CONNECTIONS): past them a round trip waits for one (a second at
#: most) instead of failing, as hundreds of requests of a busy worker can be on their way.
CONNECTIONS = 100

#: What every connection tells Redis it is (CLIENT SETINFO), made once: a connection made
#: without it reads redis-py's version from the installed package's metadata on disk
#: (0.5 ms each, against 0.03; a worker makes up to 4 × CONNECTIONS as its load grows).
DRIVER = DriverInfo()

#: What a store that Redis cannot serve raises: the HTTP layer answers 503 STORE_UNAVAILABLE.
UNAVAILABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, redis.exceptions.BusyLoadingError)


def connect(url: str, *, straight: bool = False) -> redis.Redis:
    """A client with short timeouts: a Redis that is down or stuck answers an error within a
    second or two instead of holding a request. One connection pool per process, made
    when first used (after gunicorn forked the worker). With `straight`, its connections
    wait for Redis without letting other greenlets run (`_Straight`); without, only their
    check for waiting data does (`_PollsAtOnce`). Over TLS they are redis-py's own."""
    plain = redis.connection.parse_url(url).get("connection_class", redis.connection.Connection)
    options = {"connection_class": (_STRAIGHT if straight else _AT_ONCE).get(plain, plain)}
    pool = redis.BlockingConnectionPool.from_url(
        url, max_connections=CONNECTIONS, timeout=1.0, socket_timeout=1.0, socket_connect_timeout=1.0,
        health_check_interval=10, retry_on_timeout=False, client_name="alegra-sim", driver_info=DRIVER, **options,
    )
    return _Client(connection_pool=pool)


def is_straight(client: redis.Redis) -> bool:
    """Whether `client` was made by `connect(url, straight=True)`."""
    return issubclass(client.connection_pool.connection_class, _Straight)


class _Client(redis.Redis):
    """redis-py's client whose single commands take one of its own idle connections (see the
    module's notes). Up to CONNECTIONS are out at once; past them a command waits in the
    pool as any redis-py command does."""

    def __init__(self, *, connection_pool: redis.ConnectionPool) -> None:
        super().__init__(connection_pool=connection_pool)
        self._idle: list[redis.connection.AbstractConnection] = []
        self._made = 0  # connections made (kept for good: those not idle are out)
        self._pid = os.getpid()

    def execute_command(self, *args: Any, **options: Any) -> Any:
        if self._pid != os.getpid():  # a forked child: the parent's sockets are not its own
            self._idle, self._made, self._pid = [], 0, os.getpid()
        try:
            connection = self._idle.pop()  # atomic: one user per connection, greenlets or threads
        except IndexError:  # all made are out
            if self._made >= CONNECTIONS:
                return super().execute_command(*args, **options)
            self._made += 1  # (two threads racing here may make one more: never fewer)
            pool = self.connection_pool
            connection = pool.connection_class(**pool.connection_kwargs)
        try:  # a connection that fails while sending or reading disconnects itself (redis-py's own rule)
            try:
                if connection.can_read():  # the peer closed it while it was idle (a restarted Redis)
                    connection.disconnect()
                connection.send_packed_command(_packed(connection, args))
            except redis.exceptions.ConnectionError:  # not sent whole: Redis did not run it
                return super().execute_command(*args, **options)  # redis-py's path and policy, on a pool connection
            # Sent: a failure reading the answer is raised, not sent again (Redis may have run it,
            # and redis-py's own path, configured with no retries, would not send it again either).
            return self.parse_response(connection, args[0], **options)
        finally:
            self._idle.append(connection)

    def close(self) -> None:
        """Close its own idle connections and its pool's (redis-py's `close` leaves a pool it
        was given open). They stay its own, counted: each connects again on its next use."""
        for connection in list(getattr(self, "_idle", ())):  # (also called as it is collected)
            connection.disconnect()
        super().close()
        self.connection_pool.disconnect()


def _packed(connection: redis.connection.AbstractConnection, args: tuple) -> list[bytes]:
    """The command in Redis's protocol (the pieces to send). hiredis packs str, bytes, int and float itself;
    redis-py's packer first walks every argument in Python to convert rarer kinds and
    split a two-word command name (a script's commit has dozens of arguments)."""
    if hiredis is not None and isinstance(args[0], str) and " " not in args[0]:
        try:
            return [hiredis.pack_command(args)]
        except TypeError:  # an argument of another kind (a memoryview): redis-py's packer converts it
            pass
    return connection.pack_command(*args)


class _PollsAtOnce:
    """A connection whose check for waiting data (an answer, the peer's close), made before
    every command, polls with the standard library: gevent's poll lets every ready
    greenlet run first, even with no timeout (some 5 % of a busy worker's CPU)."""

    def can_read(self, timeout: float = 0) -> bool:
        if timeout != 0:
            return super().can_read(timeout)
        if self._sock is None:
            self.connect()
        poller = _original("select", "poll")()
        poller.register(self._sock, select.POLLIN)
        return bool(poller.poll(0))


class _Straight(_PollsAtOnce):
    """A connection whose socket is the standard library's even where gevent patched it: a
    round trip holds the whole process for its real duration (a tenth of a millisecond
    on loopback) instead of letting every ready greenlet run before its answer is read.
    The store's lock is held over such round trips only: otherwise each of a section's
    round trips would hold every other process's writers for as long as this process's
    hundreds of ready greenlets take to run (a convoy), as if the section were slow."""

    def _connect(self) -> socket.socket:
        sock = super()._connect()
        if _patched("socket"):
            timeout = sock.gettimeout()
            sock = _original("socket", "socket")(sock.family, sock.type, sock.proto, fileno=sock.detach())
            sock.settimeout(timeout)
        return sock


class _StraightConnection(_Straight, redis.connection.Connection):
    pass


class _StraightUnixConnection(_Straight, redis.connection.UnixDomainSocketConnection):
    pass


class _AtOnceConnection(_PollsAtOnce, redis.connection.Connection):
    pass


class _AtOnceUnixConnection(_PollsAtOnce, redis.connection.UnixDomainSocketConnection):
    pass


_STRAIGHT = {redis.connection.Connection: _StraightConnection,
             redis.connection.UnixDomainSocketConnection: _StraightUnixConnection}
_AT_ONCE = {redis.connection.Connection: _AtOnceConnection,
            redis.connection.UnixDomainSocketConnection: _AtOnceUnixConnection}


def _patched(module: str) -> bool:
    monkey = sys.modules.get("gevent.monkey")
    return monkey is not None and monkey.is_module_patched(module)


@functools.cache
def _original(module: str, name: str) -> Any:
    """The standard library's `module.name`, even where gevent patched it. Kept once found
    (asked before every command): found before gevent patched the module or after, it is
    the same original."""
    return sys.modules["gevent.monkey"].get_original(module, name) if _patched(module) else getattr(sys.modules[module], name)

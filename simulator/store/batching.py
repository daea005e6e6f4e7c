"""A Redis client whose commands, sent by greenlets in one turn of the gevent loop, travel
together: one write carries them all and their answers are read in one go, as a
redis-py pipeline's are, though the greenlets know nothing of each other. A command
sent while no other is on its way goes alone, at once.

A busy worker has many requests in flight, each making a round trip or two. Sent one by
one, every round trip costs a write, a read and a wake-up of Redis and of the worker
(on a machine short of cores, the core passes from one to the other and back). Sent
together, a turn's round trips cost one of each. A command waits for no one: the
batch leaves as soon as the greenlets that were ready when it opened have run.

Each command stays its own: Redis runs them one after the other as if they came apart
(a script is as atomic as ever), an error answers only its own command, and a lost
connection fails every command not yet answered, as it would have failed alone.
"""

from __future__ import annotations

from typing import Any

import gevent
import redis
from gevent.event import AsyncResult

from .gevented import native_thread_id


class BatchingRedis(redis.Redis):
    """redis.Redis, its commands batched per turn of the loop. Pipelines, and any command
    from a thread other than the loop's (a native one), go as redis-py sends them."""

    def __init__(self, connection_pool: redis.ConnectionPool) -> None:
        super().__init__(connection_pool=connection_pool)
        self._boarding: list[tuple[tuple, dict, AsyncResult]] | None = None
        self._in_flight = 0  # round trips sent and not yet answered (a batch counts one)
        self._loop_thread = native_thread_id()

    def execute_command(self, *args: Any, **options: Any) -> Any:
        if native_thread_id() != self._loop_thread:
            return super().execute_command(*args, **options)
        if self._boarding is None and not self._in_flight:
            # Nothing else on its way: no one to travel with, and boarding costs a switch of greenlets.
            self._in_flight += 1
            try:
                return super().execute_command(*args, **options)
            finally:
                self._in_flight -= 1
        options.pop("keys", None)  # redis-py's client-side cache key hint: not sent
        answer = AsyncResult()
        if self._boarding is None:
            self._boarding = []
            gevent.spawn(self._send)  # runs once the greenlets ready now have run and boarded
        self._boarding.append((args, options, answer))
        return answer.get()

    def _send(self) -> None:
        batch, self._boarding = self._boarding, None
        self._in_flight += 1
        try:
            self._send_batch(batch)
        finally:
            self._in_flight -= 1

    def _send_batch(self, batch: list) -> None:
        pool = self.connection_pool
        try:
            connection = pool.get_connection()
        except BaseException as error:  # no connection within the pool's wait: each command fails as alone
            _fail(batch, error)
            if not isinstance(error, Exception):
                raise
            return
        try:
            # The pool's retry policy, as for one command; a retry sends only what was not answered.
            connection.retry.call_with_retry(lambda: self._exchange(connection, batch), lambda _: connection.disconnect())
        except BaseException as error:
            connection.disconnect()  # its answers may be out of step with what was sent
            _fail(batch, error)
            if not isinstance(error, Exception):
                raise
        finally:
            pool.release(connection)

    def _exchange(self, connection: redis.connection.AbstractConnection, batch: list) -> None:
        waiting = [entry for entry in batch if not entry[2].ready()]
        connection.send_packed_command(connection.pack_commands([args for args, _, _ in waiting]))
        for args, options, answer in waiting:
            try:
                answer.set(self.parse_response(connection, args[0], **options))
            except redis.exceptions.ResponseError as error:  # Redis's answer to this command alone
                answer.set_exception(error)


def _fail(batch: list, error: BaseException) -> None:
    for _, _, answer in batch:
        if not answer.ready():
            answer.set_exception(error)

"""A real webhook receiver for tests: an HTTP server on 127.0.0.1 in a thread.

It records every request (path, headers, raw body, when it came and when its answer
began) and answers per path: a queue of statuses to answer in turn (then 200), and
optionally a number of seconds to hang, or an event to wait for, before answering.
"""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOLD_LIMIT_SECONDS = 30.0  # a held request is answered by then, released or not


class Receiver:
    def __init__(self) -> None:
        self.received: list[dict] = []
        self.statuses: dict[str, list[int]] = {}
        self.hang: dict[str, float] = {}
        self.hold: dict[str, threading.Event] = {}  # path → answer once it is set
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with receiver._arrived:
                    request = {"path": self.path, "headers": dict(self.headers), "body": body, "at": time.monotonic()}
                    receiver.received.append(request)
                    queue = receiver.statuses.get(self.path, [])
                    status = queue.pop(0) if queue else 200
                    receiver._arrived.notify_all()
                wait = receiver.hang.get(self.path, 0)
                if wait:
                    time.sleep(wait)
                held = receiver.hold.get(self.path)
                if held is not None:
                    held.wait(HOLD_LIMIT_SECONDS)
                with receiver._lock:
                    request["answering_at"] = time.monotonic()  # before the sender can read a byte of it
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    pass  # the sender gave up waiting

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def on(self, path: str) -> list[dict]:
        with self._lock:
            return [r for r in self.received if r["path"] == path]

    def wait_for(self, count: int, path: str | None = None, timeout: float = 5.0) -> list[dict]:
        """Block until `count` requests (to `path`) arrived; return them."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                found = [r for r in self.received if path is None or r["path"] == path]
                if len(found) >= count or time.monotonic() >= deadline:
                    return found
                self._arrived.wait(max(0.0, deadline - time.monotonic()))

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        for held in self.hold.values():
            held.set()
        self.server.shutdown()
        self.server.server_close()


class RawPeer:
    """A TCP server on 127.0.0.1 that reads a request's first bytes, then writes `chunks`,
    each after `pause` seconds, and closes: a port that is not a well-behaved receiver."""

    def __init__(self, chunks: list[bytes], pause: float = 0.0) -> None:
        self.chunks, self.pause = chunks, pause
        self.listener = socket.create_server(("127.0.0.1", 0))
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}{path}"

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(connection,), daemon=True).start()

    def _answer(self, connection: socket.socket) -> None:
        with connection:
            try:
                connection.recv(65536)
                for chunk in self.chunks:
                    time.sleep(self.pause)
                    connection.sendall(chunk)
            except OSError:
                pass  # the sender gave up

    def __enter__(self) -> RawPeer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.listener.close()

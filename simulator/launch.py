"""Run a simulator in a child process: on a free loopback port, ready once it answers,
stopped as a whole. The tests, the bench and the load runs all start servers this way,
and so can a frontend team's own test suite (RedisProcess starts the Redis that several
simulators share, SIM_STORE=redis://…):

    from simulator.launch import SimulatorProcess

    with SimulatorProcess({"products": 500, "password_hash_profile": "fast"}) as sim:
        requests.get(sim.url + "/api/v1/products")
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import requests

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parent.parent


class LaunchError(RuntimeError):
    pass


def free_port(host: str = HOST) -> int:
    """A port the kernel considers free right now (bind to port 0, read it, release it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def stop_group(process: subprocess.Popen | None) -> None:
    """Stop a child started with start_new_session and all its group: SIGINT (gunicorn's
    and Locust's quick shutdown), then SIGKILL for whatever is left (a worker that
    outlived its master)."""
    if process is None:
        return
    if process.poll() is None:
        for sig, grace in ((signal.SIGINT, 15.0), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(process.pid, sig)
                process.wait(timeout=grace)
                break
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


class SimulatorProcess:
    """`python -m <module>` (default: `simulator serve`) with the given settings as SIM_*
    variables; the caller's own SIM_* variables are ignored, so what runs is what was asked."""

    def __init__(
        self,
        settings: Mapping[str, object] | None = None,
        *,
        module: str = "simulator serve",
        log_path: Path | None = None,
        ready_path: str = "/_sim/clock",
        ready_timeout: float = 120.0,
    ):
        self.module = module
        self.port = free_port()
        self.env = {"SIM_HOST": HOST, "SIM_PORT": str(self.port)}
        self.env.update({f"SIM_{name.upper()}": str(value) for name, value in (settings or {}).items()})
        self.log_path = log_path
        self.ready_path = ready_path
        self.ready_timeout = ready_timeout
        self.process: subprocess.Popen | None = None
        self.ready_seconds: float | None = None
        self._started = 0.0

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def __enter__(self) -> SimulatorProcess:
        try:
            self.start()
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(self) -> None:
        env = {name: value for name, value in os.environ.items() if not name.startswith("SIM_")}
        env.update(self.env)
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "wb") if self.log_path is not None else subprocess.DEVNULL
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", *self.module.split()], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: master and worker stop together
            )
        finally:
            if log is not subprocess.DEVNULL:
                log.close()
        self._started = time.perf_counter()

    def wait_ready(self) -> None:
        """Poll `ready_path` until it answers below 500, the process exits, or time runs out."""
        deadline = self._started + self.ready_timeout
        while True:
            if self.process.poll() is not None:
                raise LaunchError(f"{self.module} exited with code {self.process.returncode}: {self.log_tail()}")
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise LaunchError(f"{self.module} did not answer within {self.ready_timeout:.0f} s: {self.log_tail()}")
            try:
                # The master listens before its worker has seeded: a request may wait in the
                # backlog meanwhile, so each attempt gets some time.
                if requests.get(self.url + self.ready_path, timeout=min(5.0, remaining)).status_code < 500:
                    self.ready_seconds = time.perf_counter() - self._started
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)

    def stop(self) -> None:
        process, self.process = self.process, None
        stop_group(process)

    def log_tail(self, lines: int = 15) -> str:
        if self.log_path is None:
            return "(no log kept)"
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.strip().splitlines()[-lines:]) or "(empty log)"


class RedisProcess:
    """Debian's `redis-server` on a free loopback port (or `port`), its files under `directory`
    (a temporary folder by default). `persist=False`: nothing written to disk unless asked
    (SAVE); stopped with `stop()`, started again on the same port with `start()`."""

    def __init__(self, executable: str = "redis-server", port: int | None = None, directory: Path | None = None,
                 persist: bool = False) -> None:
        import tempfile

        self.executable = executable
        self.port = port or free_port()
        self.directory = directory or Path(tempfile.mkdtemp(prefix="alegra-sim-redis-"))
        self.persist = persist
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def argv(self) -> list[str]:
        saving = ["--appendonly", "yes"] if self.persist else ["--save", "", "--appendonly", "no"]
        return [self.executable, "--port", str(self.port), "--bind", HOST, "--dir", str(self.directory), *saving]

    def client(self):
        import redis

        return redis.Redis(host=HOST, port=self.port, socket_timeout=5)

    def start(self, timeout: float = 10.0) -> RedisProcess:
        import redis

        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(self.argv(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        start_new_session=True)
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.client().ping()
                return self
            except redis.exceptions.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise LaunchError(f"redis-server did not start on port {self.port}") from None
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

    def __enter__(self) -> RedisProcess:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

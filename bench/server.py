"""Start a server as a subprocess on a free loopback port, wait until it answers, stop it.

`ServerProcess` is a context manager: the server runs in its own process group
(gunicorn master + worker) and the whole group is terminated on leaving the block,
whatever ends it (an error, KeyboardInterrupt, SystemExit from SIGTERM).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import requests

from .report import RESULTS, ROOT, python_command, relative, shell_command

HOST = "127.0.0.1"
#: Seeding 100,000 products in the worker takes a few seconds; a slow machine may take longer.
READY_TIMEOUT = 180.0
STOP_TIMEOUT = 15.0


class ServerError(RuntimeError):
    pass


def free_port(host: str = HOST) -> int:
    """A port the kernel considers free right now (bind to port 0, read it, release it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def server_env(port: int, **settings: object) -> dict[str, str]:
    """SIM_* settings for a server: SIM_PORT plus the given ones, upper-cased."""
    env = {"SIM_HOST": HOST, "SIM_PORT": str(port)}
    env.update({f"SIM_{name.upper()}": str(value) for name, value in settings.items()})
    return env


class ServerProcess:
    """`python -m <module>` serving on a free port with the given SIM_* settings."""

    def __init__(self, name: str, module: str, settings: dict[str, object], ready_path: str,
                 ready_timeout: float = READY_TIMEOUT):
        self.name = name
        self.module = module
        self.argv = [sys.executable, "-m", *module.split()]
        self.port = free_port()
        self.env = server_env(self.port, **settings)
        self.ready_path = ready_path
        self.ready_timeout = ready_timeout
        self.log_path: Path = RESULTS / f"{name}.log"
        self.process: subprocess.Popen | None = None
        self._started = 0.0
        self.ready_seconds: float | None = None

    # -- what a user types to do the same ---------------------------------------
    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def command(self) -> str:
        return shell_command([python_command(), "-m", *self.module.split()], self.env)

    # -- lifecycle ----------------------------------------------------------------
    def __enter__(self) -> "ServerProcess":
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
        # The server's configuration comes only from what the bench sets: SIM_* variables
        # of the caller's shell (SIM_WORKERS=4, …) would change what is measured.
        env = {name: value for name, value in os.environ.items() if not name.startswith("SIM_")}
        env.update(self.env)
        RESULTS.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                self.argv,
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stopped as a whole
            )
        self._started = time.perf_counter()

    def wait_ready(self) -> None:
        """Poll `ready_path` until it answers (any status below 500) or the timeout passes."""
        assert self.process is not None
        deadline = self._started + self.ready_timeout
        while True:
            if self.process.poll() is not None:
                raise ServerError(f"{self.name} server exited with code {self.process.returncode}: {self.log_tail()}")
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise ServerError(f"{self.name} server did not answer within {self.ready_timeout:.0f} s: {self.log_tail()}")
            try:
                # The master listens before the worker has seeded: a request waits in the
                # backlog until the worker accepts it, so allow each attempt some time.
                answer = requests.get(self.url + self.ready_path, timeout=min(5.0, remaining))
                if answer.status_code < 500:
                    self.ready_seconds = time.perf_counter() - self._started
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        # SIGINT is gunicorn's quick shutdown (SIGTERM waits up to graceful_timeout for
        # open connections); nothing is left to finish once the bench is done with it.
        for sig, grace in ((signal.SIGINT, STOP_TIMEOUT), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                break
            try:
                process.wait(timeout=grace)
                break
            except subprocess.TimeoutExpired:
                continue
        # Whatever SIGINT left behind in the group (a worker that outlived its master).
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    # -- inspection ---------------------------------------------------------------
    @property
    def pid(self) -> int:
        if self.process is None:
            raise ServerError(f"{self.name} server is not running")
        return self.process.pid

    def worker(self, timeout: float = 10.0) -> psutil.Process:
        """The gunicorn worker: the master's (only) child process, which holds the store."""
        master = psutil.Process(self.pid)
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            children = master.children(recursive=False)
            if len(children) == 1:
                return children[0]
            if len(children) > 1:
                raise ServerError(f"{self.name} server has {len(children)} workers; the bench expects 1")
            time.sleep(0.1)
        raise ServerError(f"{self.name} server has no worker process")

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        tail = "\n".join(text.strip().splitlines()[-lines:])
        return f"see {relative(self.log_path)}:\n{tail}" if tail else f"(empty log {relative(self.log_path)})"


#: What both servers of a comparison share: SimulatorServer applies these to gunicorn.
SERVING = {"workers": 1, "worker_connections": 1000, "log_level": "warning"}


def simulator_server(products: int, name: str = "simulator", **settings: object) -> ServerProcess:
    """The real server: `python -m simulator serve`, churn off, quiet logs.

    `settings` are further SIM_* settings of the app (max_line_quantity=10000,
    password_hash_profile="fast", …); the serving settings stay SERVING, the bare
    server's.
    """
    clash = set(settings) & set(SERVING)
    if clash:
        raise ValueError(f"{', '.join(sorted(clash))}: serving settings must stay those of the bare server")
    return ServerProcess(
        name,
        "simulator serve",
        {"products": products, "churn_per_minute": 0, **settings, **SERVING},
        ready_path="/api/v1/categories",
    )


def bare_server(name: str = "bare") -> ServerProcess:
    """bench/bare_app.py under the same SimulatorServer configuration."""
    return ServerProcess(
        name,
        "bench.bare_app",
        dict(SERVING),
        ready_path="/bare/ready",
        ready_timeout=60.0,
    )

"""The bench's servers: simulator.launch.SimulatorProcess (a free loopback port, ready
once it answers, its process group stopped on leaving the block, whatever ends it) with
a log per server, the command that reproduces it, and the worker process to measure."""

from __future__ import annotations

import time

import psutil

from simulator.launch import LaunchError, SimulatorProcess

from .report import RESULTS, python_command, relative, shell_command

#: Seeding 100,000 products in the worker takes a few seconds; a slow machine may take longer.
READY_TIMEOUT = 180.0

ServerError = LaunchError


class ServerProcess(SimulatorProcess):
    """A bench server: its log in bench/results/<name>.log, the command that reproduces it,
    and its worker process for memory figures."""

    def __init__(self, name: str, module: str, settings: dict[str, object], ready_path: str,
                 ready_timeout: float = READY_TIMEOUT):
        super().__init__(settings, module=module, log_path=RESULTS / f"{name}.log",
                         ready_path=ready_path, ready_timeout=ready_timeout)
        self.name = name

    @property
    def command(self) -> str:
        """What a user types to start the same server."""
        return shell_command([python_command(), "-m", *self.module.split()], self.env)

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
        return f"see {relative(self.log_path)}:\n{super().log_tail(lines)}"


#: What both servers of a comparison share: SimulatorServer applies these to gunicorn. A
#: Locust user keeps one connection open: a worker that takes fewer than the searches'
#: largest step (bench/load.py) leaves the rest queued unserved, and their missing requests
#: make the step look easy (at gunicorn's 1,000, a third of 1,600 users waited ~21 s).
SERVING = {"workers": 1, "worker_connections": 4000, "log_level": "warning"}


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

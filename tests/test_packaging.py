"""`pip install .` gives a working `alegra-sim`: the package, its data files and its console script.

Offline: the project is built with this environment's setuptools (`--no-build-isolation
--no-index --no-deps`) from a copy of what the build reads, and installed with `--target`
into a folder of its own; the dependencies come from this environment. The commands run
outside the repository, so only the installed copy can answer.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from simulator.launch import free_port, stop_group

ROOT = Path(__file__).resolve().parent.parent
BUILD_INPUTS = ("pyproject.toml", "README.md", "simulator", "loadtests")


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The folder the project was installed into (its commands in bin/)."""
    base = tmp_path_factory.mktemp("packaging")
    source, target = base / "source", base / "site"
    source.mkdir()
    for name in BUILD_INPUTS:
        copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copy2
        copy(ROOT / name, source / name, **({"ignore": shutil.ignore_patterns("__pycache__")} if copy is shutil.copytree else {}))
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-index", "--no-deps",
         "--no-build-isolation", "--target", str(target), str(source)],
        cwd=base, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return target


def environment(installed: Path) -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if not k.startswith("SIM_")}, "PYTHONPATH": str(installed)}


def run(installed: Path, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=installed.parent, env=environment(installed), capture_output=True, text=True, timeout=60)


def test_the_installed_copy_is_what_runs_and_it_has_its_data_files(installed):
    done = run(installed, sys.executable, "-c", "import simulator, loadtests; print(simulator.__file__, loadtests.__file__)")
    assert done.returncode == 0, done.stderr
    assert all(Path(path).is_relative_to(installed) for path in done.stdout.split()), done.stdout
    assert sorted(path.name for path in (installed / "simulator" / "seed").glob("*.json")) == [
        "categories.json", "delivery_options.json", "payment_types.json", "promotions.json"]
    assert sorted(path.name for path in (installed / "simulator" / "console" / "static").iterdir()) == [
        "console.css", "console.html", "console.js"]
    assert (installed / "loadtests" / "locust.conf").is_file()
    assert not (installed / "tests").exists() and not (installed / "bench").exists()


def test_alegra_sim_settings_and_load_help(installed):
    settings = run(installed, str(installed / "bin" / "alegra-sim"), "settings")
    assert settings.returncode == 0, settings.stderr
    assert settings.stdout.startswith("| variable | type | default | what it does |") and "`SIM_PORT`" in settings.stdout
    load = run(installed, str(installed / "bin" / "alegra-sim"), "load", "--help")
    assert load.returncode == 0, load.stderr
    assert "--smoke" in load.stdout


def test_alegra_sim_serve_answers(installed, tmp_path):
    port = free_port()
    env = {**environment(installed), "SIM_HOST": "127.0.0.1", "SIM_PORT": str(port), "SIM_PRODUCTS": "50",
           "SIM_CUSTOMERS": "5", "SIM_PASSWORD_HASH_PROFILE": "fast", "SIM_LOG_LEVEL": "warning"}
    log = tmp_path / "serve.log"
    with open(log, "wb") as output:
        server = subprocess.Popen([str(installed / "bin" / "alegra-sim"), "serve"], cwd=installed.parent, env=env,
                                  stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            try:
                answer = requests.get(f"http://127.0.0.1:{port}/api/v1/categories", timeout=5)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        # The categories come from seed/categories.json; the other data files are read on import.
        assert answer.status_code == 200 and answer.json(), answer.text
        console = requests.get(f"http://127.0.0.1:{port}/_sim/console/static/console.js", timeout=5)
        assert console.status_code == 200 and "sessionStorage" in console.text  # the console's assets came along
    finally:
        stop_group(server)

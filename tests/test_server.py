"""The real server: gunicorn with a gevent worker, the command line, offline docs."""

import re
import subprocess
import sys
import threading
import time

import pytest
import requests

from simulator.http.blueprints import EXTENSION
from tests.helpers.server import ROOT, running_server


def test_serves_under_gunicorn_with_a_gevent_worker_that_does_not_block():
    with running_server(SIM_PRODUCTS="500", SIM_CHURN_PER_MINUTE="0") as base:
        assert "gunicorn" in requests.get(base + "/api/v1/categories").headers["Server"]
        # While a slow NDJSON stream is open and unread, other requests are still served.
        slow = requests.get(base + "/api/v1/catalog/export", headers={"Accept": "application/x-ndjson"}, stream=True)
        started = time.monotonic()
        results = []

        def fetch():
            results.append(requests.get(base + "/api/v1/products?page_size=5").status_code)

        threads = [threading.Thread(target=fetch) for _ in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert results == [200] * 20 and time.monotonic() - started < 10
        lines = [line for line in slow.iter_lines() if line]
        assert len(lines) == 501


def test_churn_runs_in_the_background_when_serving():
    with running_server(SIM_PRODUCTS="100", SIM_CHURN_PER_MINUTE="600") as base:
        token = requests.get(base + "/api/v1/catalog/export?limit=1").json()["sync_token"]
        deadline = time.monotonic() + 10
        changes = []
        while not changes and time.monotonic() < deadline:
            time.sleep(0.5)
            changes = requests.get(base + "/api/v1/catalog/changes", params={"since": token}).json()["changes"]
        assert changes, "no churn within 10 s at 600 changes per minute"


def run_cli(*args, **env):
    import os

    return subprocess.run([sys.executable, "-m", "simulator", *args], cwd=ROOT, capture_output=True, text=True, timeout=60, env={**os.environ, **env})


def test_refuses_a_public_bind_without_an_admin_token():
    result = run_cli("serve", "--host", "0.0.0.0", "--products", "10")
    assert result.returncode == 2
    assert "SIM_ADMIN_TOKEN" in result.stderr and "SIM_ALLOW_PUBLIC_WITHOUT_TOKEN" in result.stderr


def test_command_line_help_and_openapi_export(tmp_path):
    help_text = run_cli("--help").stdout
    assert "serve" in help_text and "export-openapi" in help_text
    out = tmp_path / "openapi.json"
    assert run_cli("export-openapi", "-o", str(out)).returncode == 0
    import json

    spec = json.loads(out.read_text())
    assert spec["openapi"].startswith("3.")
    for path in ("/api/v1/products", "/api/v1/products/{product_id}", "/api/v1/catalog/export", "/api/v1/catalog/changes", "/api/v1/categories"):
        assert path in spec["paths"]


def test_a_bad_setting_is_reported_not_a_traceback():
    result = run_cli("serve", SIM_PRODUCTS="many")
    assert result.returncode == 2 and "products" in result.stderr and "Traceback" not in result.stderr


def test_load_hands_every_argument_to_the_load_runner():
    result = run_cli("load", "--help")
    assert result.returncode == 0, result.stderr
    assert "usage: python -m loadtests.run" in result.stdout and "--smoke" in result.stdout


def test_load_without_locust_says_which_extra_to_install(monkeypatch, capsys):
    import importlib.util

    from simulator import cli

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "locust" else real_find_spec(name, *a))
    assert cli.main(["load", "--smoke"]) == 2
    assert "pip install 'alegra-sim[load]'" in capsys.readouterr().err


def test_docs_ui_needs_no_internet(client):
    page = client.get("/docs").get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert assets and all(url.startswith("/") and not url.startswith("//") for url in assets)
    for url in assets:
        assert client.get(url).status_code == 200, url
    assert "/api/v1/products" in client.get("/openapi.json").get_json()["paths"]


def test_a_frozen_heap_serves_a_resets_new_catalog(make_app, monkeypatch):
    """As in a serving worker (`freeze_heap`): a reset's new catalog is frozen out of the
    collector's reach too, and served as it was built."""
    import gc

    from simulator import runtime

    app = make_app()
    client = app.test_client()
    monkeypatch.setattr(runtime, "_freeze_every_build", True)
    try:
        gc.freeze()
        assert client.post("/_sim/reset", json={"seed": 7, "products": 30}).status_code == 200
        store = app.extensions[EXTENSION].store
        assert not any(tracked is store for tracked in gc.get_objects())  # frozen: outside every generation
        gc.collect()
        listed = client.get("/api/v1/products?page_size=100").get_json()
        assert len(listed) == 30
        for product in listed:
            assert client.get(f"/api/v1/products/{product['id']}").get_json() == product
    finally:
        gc.unfreeze()


def test_the_app_lets_plain_functions_through_and_still_refuses_async_ones(make_app):
    app = make_app()

    def plain():
        return "plain"

    async def coroutine():
        return "async"

    assert app.ensure_sync(plain) is plain and app.ensure_sync(plain) is plain
    for _ in range(2):
        with pytest.raises(RuntimeError, match="async"):  # Flask's own answer: asgiref is not installed
            app.ensure_sync(coroutine)

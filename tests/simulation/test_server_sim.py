"""The simulation on the real server (gunicorn + gevent): sockets dropped and cut, waits that hold
no worker, webhooks delivered by the background dispatcher."""

from __future__ import annotations

import json
import threading
import time

import pytest
import requests

from simulator.webhooks.dispatcher import verify
from tests.helpers.receiver import Receiver
from tests.helpers.server import running_server

BROWSE = "/api/v1/products?page_size=3"


@pytest.fixture(scope="module")
def base():
    with running_server(SIM_PRODUCTS="200", SIM_CUSTOMERS="5", SIM_CHURN_PER_MINUTE="0", SIM_PASSWORD_HASH_PROFILE="fast") as url:
        yield url


def test_reset_drops_the_connection_and_the_server_goes_on(base):
    with pytest.raises(requests.ConnectionError):
        requests.get(base + BROWSE, headers={"X-Sim-Fault": "reset"}, timeout=5)
    assert requests.get(base + BROWSE, timeout=5).status_code == 200


def test_truncate_sends_less_than_announced_then_closes(base):
    with pytest.raises(requests.exceptions.ChunkedEncodingError, match="IncompleteRead"):
        requests.get(base + BROWSE, headers={"X-Sim-Fault": "truncate"}, timeout=5)
    with requests.Session() as session:  # a kept-alive connection is not left hanging either
        started = time.monotonic()
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            session.get(base + BROWSE, headers={"X-Sim-Fault": "truncate"}, timeout=5)
        assert session.get(base + BROWSE, timeout=5).status_code == 200
        assert time.monotonic() - started < 2


def test_timeout_then_504_and_injected_errors(base):
    answer = requests.get(base + BROWSE, headers={"X-Sim-Fault": "timeout=200ms"}, timeout=5)
    assert answer.status_code == 504 and answer.headers["X-Sim-Injected"] == "timeout"
    answer = requests.get(base + BROWSE, headers={"X-Sim-Fault": "503"}, timeout=5)
    assert answer.status_code == 503 and answer.headers["Content-Type"] == "application/problem+json"
    assert answer.json()["code"] == "INJECTED_FAULT" and answer.headers["Retry-After"] == "1"


def test_waiting_requests_hold_no_worker(base):
    results: list[tuple[int, float]] = []
    lock = threading.Lock()

    def fetch():
        started = time.monotonic()
        status = requests.get(base + "/api/v1/categories", headers={"X-Sim-Latency": "500ms"}, timeout=10).status_code
        with lock:
            results.append((status, time.monotonic() - started))

    threads = [threading.Thread(target=fetch) for _ in range(60)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    assert [status for status, _ in results] == [200] * 60
    assert min(seconds for _, seconds in results) >= 0.5
    assert elapsed < 3, f"60 requests of 500 ms took {elapsed:.1f} s: waits were served one after another"
    stats = requests.get(base + "/_sim/stats", timeout=5).json()["groups"]["browse"]
    assert stats["latency_header_overrides"] >= 60 and stats["latency_ms"]["p50"] >= 500


def test_the_background_dispatcher_delivers_a_product_change(base):
    with Receiver() as receiver:
        key = {"Authorization": "Bearer " + requests.post(base + "/_sim/integration-keys", json={"name": "t"}, timeout=5).json()["key"]}
        created = requests.post(base + "/api/v1/webhooks", json={"url": receiver.url(), "events": ["product.created"]}, headers=key, timeout=5)
        assert created.status_code == 201
        secret = created.json()["secret"]
        categories = requests.get(base + "/api/v1/categories", timeout=5).json()
        leaf = categories[0]["children"][0]["children"][0]["id"]
        product = requests.post(base + "/_sim/products", json={"name": "Pushed Mug", "category_ids": [leaf], "price": "5.00"},
                                timeout=5).json()
        got = receiver.wait_for(1, timeout=10)
        assert got, "no delivery within 10 s"
        body = got[0]["body"]
        assert verify(secret, body, got[0]["headers"]["X-Signature"])
        assert json.loads(body)["data"]["id"] == product["id"]
        requests.delete(base + f"/api/v1/webhooks/{created.json()['id']}", headers=key, timeout=5)

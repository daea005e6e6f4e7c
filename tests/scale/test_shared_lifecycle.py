"""What only a shared store has: several workers in one server, a leader that dies, a
restart that keeps the shop, and a Redis that goes away and comes back."""

from __future__ import annotations

import time

import pytest
import requests

from simulator.config import Settings, check_serving
from simulator.errors import SettingsError
from tests.helpers.accounts import PASSWORD
from tests.helpers.receiver import Receiver
from tests.helpers.replicas import SETTINGS, start_servers


def test_several_workers_need_a_shared_store():
    with pytest.raises(SettingsError, match="SIM_STORE=redis://"):
        check_serving(Settings(workers=2))
    check_serving(Settings(workers=2, store="redis://127.0.0.1:6379/0"))
    check_serving(Settings(workers=1))


def test_a_memory_server_with_several_workers_refuses_to_start():
    from simulator.launch import LaunchError, SimulatorProcess

    with pytest.raises(LaunchError, match="needs a shared store"), SimulatorProcess({"workers": 2}, log_path=_log("refused"), ready_timeout=30):
        pass


def _log(name: str):
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="alegra-sim-")) / f"{name}.log"


@pytest.fixture
def redis(redis_server):
    if redis_server.process is None:
        redis_server.start()
    redis_server.client().flushall()
    return redis_server


def _register(url: str) -> dict:
    response = requests.post(url + "/api/v1/customers", json={
        "email": f"keep{time.monotonic_ns()}@example.org", "password": PASSWORD, "first_name": "K", "last_name": "P"}, timeout=10)
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def test_a_restart_of_every_worker_keeps_the_shop(redis):
    servers = start_servers(1, {**SETTINGS, "store": redis.url, "workers": 2})
    try:
        url = servers[0].url
        headers = _register(url)
        product = requests.get(url + "/api/v1/products?page_size=1", timeout=10).json()[0]
        basket = requests.post(url + "/api/v1/basket/items", json={"product_id": product["id"], "quantity": 2}, headers=headers, timeout=10).json()
        before = {path: requests.get(url + path, timeout=10).json() for path in ("/api/v1/products?page_size=100", "/_sim/clock")}
    finally:
        servers[0].stop()
    servers = start_servers(1, {**SETTINGS, "store": redis.url, "workers": 2, "seed": 7})  # another seed: the stored shop wins
    try:
        url = servers[0].url
        for _ in range(4):  # whichever worker answers
            again = requests.get(url + "/api/v1/basket", headers=headers, timeout=10).json()
            assert again["id"] == basket["id"] and again["version"] == basket["version"]
        assert requests.get(url + "/api/v1/products?page_size=100", timeout=10).json() == before["/api/v1/products?page_size=100"]
        assert requests.post(url + "/_sim/reset", json={}, timeout=60).status_code == 200  # a reset still starts afresh
        assert requests.get(url + "/api/v1/basket", headers=headers, timeout=10).status_code == 401
    finally:
        servers[0].stop()


def test_background_work_moves_to_another_worker_when_the_leader_dies(redis):
    first = start_servers(1, {**SETTINGS, "store": redis.url})[0]
    try:
        deadline = time.monotonic() + 10
        while not redis.client().exists("alegra-sim:leader"):  # the first server took the lease
            assert time.monotonic() < deadline
            time.sleep(0.1)
        second = start_servers(1, {**SETTINGS, "store": redis.url})[0]
    except BaseException:
        first.stop()
        raise
    try:
        with Receiver() as receiver:
            url = second.url
            key = requests.post(url + "/_sim/integration-keys", json={"name": "failover"}, timeout=10).json()["key"]
            assert requests.post(url + "/api/v1/webhooks", json={"url": receiver.url(), "events": ["product.updated"]},
                                 headers={"Authorization": f"Bearer {key}"}, timeout=10).status_code == 201
            product = requests.get(url + "/api/v1/products?page_size=1", timeout=10).json()[0]
            first.stop()  # the leader dies
            died = time.monotonic()
            assert requests.patch(f"{url}/_sim/products/{product['id']}", json={"stock": 42}, timeout=10).status_code == 200
            assert len(receiver.wait_for(1, timeout=15)) == 1
            assert time.monotonic() - died < 10
    finally:
        first.stop()
        second.stop()


def test_requests_answer_503_while_redis_is_down_and_serve_again_when_it_is_back(redis):
    server = start_servers(1, {**SETTINGS, "store": redis.url})[0]
    try:
        url = server.url
        headers = _register(url)
        redis.client().save()  # what a Redis with persistence keeps over its restart
        redis.stop()
        for path in ("/api/v1/products", "/api/v1/basket", "/_sim/clock"):
            started = time.monotonic()
            response = requests.get(url + path, headers=headers, timeout=10)
            assert response.status_code == 503, response.text
            assert response.headers["Content-Type"] == "application/problem+json"
            assert response.json()["code"] == "STORE_UNAVAILABLE"
            assert time.monotonic() - started < 3
        redis.start()
        deadline = time.monotonic() + 10
        while (response := requests.get(url + "/api/v1/customers/me", headers=headers, timeout=10)).status_code != 200:
            assert time.monotonic() < deadline, response.text
            time.sleep(0.2)
    finally:
        server.stop()

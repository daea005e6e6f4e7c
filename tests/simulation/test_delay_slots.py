"""Delayed and hanging requests have a cap of their own: normal traffic always has connections."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from simulator.config import Settings
from simulator.simulation.middleware import SimulationMiddleware
from tests.helpers.problems import assert_problem
from tests.helpers.server import running_server

CATEGORIES = "/api/v1/categories"


def middleware_of(app) -> SimulationMiddleware:
    layer = app.wsgi_app
    while not isinstance(layer, SimulationMiddleware):
        layer = layer.app
    return layer


def test_the_default_cap_is_half_the_connections():
    assert Settings().delayed_request_slots == 500
    assert Settings(worker_connections=1).delayed_request_slots == 1
    assert Settings(max_delayed_requests=7).delayed_request_slots == 7


def test_past_the_cap_a_delayed_request_answers_busy_at_once_and_plain_ones_go_on(make_app):
    app = make_app(max_delayed_requests=1)
    slots = middleware_of(app).delay_slots
    held = threading.Thread(target=lambda: app.test_client().get(CATEGORIES, headers={"X-Sim-Latency": "1s"}))
    held.start()
    deadline = time.monotonic() + 5
    while slots._value and time.monotonic() < deadline:  # until the held request took the one slot
        time.sleep(0.01)
    client = app.test_client()
    for header in ({"X-Sim-Latency": "10ms"}, {"X-Sim-Fault": "timeout=10ms"}):
        started = time.monotonic()
        body = assert_problem(client.get(CATEGORIES, headers=header), 503, "SIMULATION_BUSY")
        assert time.monotonic() - started < 0.5 and "SIM_MAX_DELAYED_REQUESTS" in body["detail"]
    assert client.get(CATEGORIES, headers={"X-Sim-Latency": "10ms"}).headers.get("Retry-After") == "1"
    assert client.get(CATEGORIES).status_code == 200  # no wait asked: never refused
    held.join()
    assert client.get(CATEGORIES, headers={"X-Sim-Latency": "10ms"}).status_code == 200  # the slot came back
    assert client.get(CATEGORIES, headers={"X-Sim-Fault": "timeout=10ms"}).status_code == 504
    stats = client.get("/_sim/stats").get_json()["groups"]["browse"]
    assert stats["injected"]["busy"] == 3 and stats["statuses"]["503"] == 3


def test_configured_latency_is_capped_too(make_app):
    app = make_app(max_delayed_requests=1)
    client = app.test_client()
    assert client.patch("/_sim/config", json={"latency": {"default": "10ms"}}).status_code == 200
    middleware_of(app).delay_slots.acquire()  # another request holds the only slot
    assert_problem(client.get(CATEGORIES), 503, "SIMULATION_BUSY")
    middleware_of(app).delay_slots.release()
    assert client.get(CATEGORIES).status_code == 200


def test_hanging_requests_leave_the_server_connections_for_normal_traffic():
    """30 requests held by a timeout fault on a worker of 20 connections: without the cap they
    would take every connection, and a plain request would wait for them to end."""
    with running_server(SIM_PRODUCTS="50", SIM_CUSTOMERS="2", SIM_CHURN_PER_MINUTE="0", SIM_WORKER_CONNECTIONS="20",
                        SIM_MAX_DELAYED_REQUESTS="5") as base:

        def hang(_):
            return requests.get(base + "/api/v1/nowhere", headers={"X-Sim-Fault": "timeout=4s"}, timeout=15).status_code

        with ThreadPoolExecutor(30) as pool:
            held = pool.map(hang, range(30))
            time.sleep(0.5)  # let them all connect
            assert requests.get(base + CATEGORIES, timeout=3).status_code == 200
            statuses = list(held)
        assert statuses.count(504) == 5 and statuses.count(503) == 25

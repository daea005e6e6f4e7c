"""Latency, faults and stats around the routes (the WSGI middleware), through the test client."""

from __future__ import annotations

import socket
import struct
import time

import pytest

from simulator import domain_faults
from simulator.catalog.model import PRODUCT
from simulator.http.blueprints import EXTENSION
from tests.helpers.problems import assert_problem

BROWSE = "/api/v1/products?page_size=2"


def timed(call):
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


def patch(client, body):
    response = client.patch("/_sim/config", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


# -- latency -------------------------------------------------------------------------------
def test_latency_header_delays_the_answer_and_says_so(client):
    response, seconds = timed(lambda: client.get(BROWSE, headers={"X-Sim-Latency": "120ms"}))
    assert response.status_code == 200 and 0.12 <= seconds < 0.6
    assert response.headers["X-Sim-Latency-Ms"] == "120.0"
    plain, seconds = timed(lambda: client.get(BROWSE))
    assert "X-Sim-Latency-Ms" not in plain.headers and seconds < 0.12


def test_group_latency_from_config_and_controls_never_delayed(client):
    patch(client, {"latency": {"default": "300ms", "groups": {"browse": "0ms"}}})
    _, browse = timed(lambda: client.get(BROWSE))
    _, changes = timed(lambda: client.get("/api/v1/catalog/changes?since=x"))  # answers 422, after the delay
    _, control = timed(lambda: client.get("/_sim/clock"))
    _, spec = timed(lambda: client.get("/openapi.json"))
    assert browse < 0.2 and changes >= 0.3
    assert control < 0.2 and spec < 1  # /_sim and /openapi.json are never delayed


def test_a_named_profile_can_be_asked_for_by_header(client):
    patch(client, {"latency": {"profiles": {"slowish": {"profile": "uniform", "min_ms": 100, "max_ms": 110}}}})
    response, seconds = timed(lambda: client.get(BROWSE, headers={"X-Sim-Latency": "Slowish"}))
    assert response.status_code == 200 and 0.1 <= seconds < 0.5
    assert 100 <= float(response.headers["X-Sim-Latency-Ms"]) <= 110


# -- hostile headers --------------------------------------------------------------------------
HOSTILE_HEADERS = [
    ("X-Sim-Latency", "-5ms"),
    ("X-Sim-Latency", "9999999h"),
    ("X-Sim-Latency", "abc"),
    ("X-Sim-Latency", "61s"),
    ("X-Sim-Latency", ""),
    ("X-Sim-Latency", "1" * 10_000),
    ("X-Sim-Latency", "100ms, 200ms"),
    ("X-Sim-Fault", "777"),
    ("X-Sim-Fault", "200"),
    ("X-Sim-Fault", ""),
    ("X-Sim-Fault", "x" * 10_000),
    ("X-Sim-Fault", "timeout=-1s"),
    ("X-Sim-Fault", "timeout=301s"),
    ("X-Sim-Fault", "503; drop table"),
    ("X-Sim-Fault", "\u00e9t\u00e9"),
]


@pytest.mark.parametrize("name, value", HOSTILE_HEADERS)
def test_a_bad_simulation_header_answers_400_and_runs_nothing(client, sim, name, value):
    product = sim.store.values(PRODUCT)[0]
    before = (sim.store.last_seq(PRODUCT), product)
    response, seconds = timed(lambda: client.post("/api/v1/baskets", headers={name: value}))
    body = assert_problem(response, 400, "INVALID_SIM_HEADER")
    assert name in body["errors"] and seconds < 0.5
    assert (sim.store.last_seq(PRODUCT), sim.store.get(PRODUCT, product.id)) == before
    assert sim.store.count("basket") == 0  # the route did not run: no guest basket made


def test_simulation_headers_on_controls_are_ignored(client):
    assert client.get("/_sim/clock", headers={"X-Sim-Fault": "503", "X-Sim-Latency": "abc"}).status_code == 200


# -- injected faults -------------------------------------------------------------------------
@pytest.mark.parametrize("status", [500, 502, 503, 504, 429])
def test_injected_errors_are_problem_json_and_say_they_are_injected(client, sim, status):
    response = client.post("/api/v1/baskets", headers={"X-Sim-Fault": str(status)})
    body = assert_problem(response, status, "INJECTED_FAULT")
    assert response.headers["X-Sim-Injected"] == str(status)
    assert "injected" in body["detail"].lower()
    assert ("Retry-After" in response.headers) == (status in (429, 503))
    assert sim.store.count("basket") == 0  # not processed


def test_retry_after_follows_the_config(client):
    patch(client, {"faults": {"groups": {"basket": {"retry_after_seconds": 7}}}})
    assert client.post("/api/v1/baskets", headers={"X-Sim-Fault": "429"}).headers["Retry-After"] == "7"
    assert client.get(BROWSE, headers={"X-Sim-Fault": "503"}).headers["Retry-After"] == "1"


def test_timeout_hangs_then_answers_504(client):
    response, seconds = timed(lambda: client.get(BROWSE, headers={"X-Sim-Fault": "timeout=150ms"}))
    assert_problem(response, 504, "INJECTED_FAULT")
    assert response.headers["X-Sim-Injected"] == "timeout" and 0.15 <= seconds < 0.6
    patch(client, {"faults": {"groups": {"browse": {"timeout_seconds": 0.1}}}})
    response, seconds = timed(lambda: client.get(BROWSE, headers={"X-Sim-Fault": "timeout"}))
    assert response.status_code == 504 and 0.1 <= seconds < 0.6


class FakeSocket:
    def __init__(self):
        self.options = []

    def setsockopt(self, level, name, value):
        self.options.append((level, name, value))


def test_reset_drops_the_connection_with_a_tcp_reset(client):
    sock = FakeSocket()
    with pytest.raises(ConnectionResetError):
        client.get(BROWSE, headers={"X-Sim-Fault": "reset"}, environ_base={"gunicorn.socket": sock})
    assert sock.options == [(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))]


def test_a_timeout_configured_to_drop_drops(client):
    patch(client, {"faults": {"groups": {"browse": {"timeout_action": "drop", "timeout_seconds": 0.05}}}})
    with pytest.raises(ConnectionResetError):
        client.get(BROWSE, headers={"X-Sim-Fault": "timeout"})


def test_truncate_announces_the_length_and_sends_half(client, sim):
    full = client.get(BROWSE).get_data()
    response = client.get(BROWSE, headers={"X-Sim-Fault": "truncate"})
    assert response.status_code == 200 and response.headers["X-Sim-Injected"] == "truncate"
    assert int(response.headers["Content-Length"]) == len(full)
    assert response.get_data() == full[: len(full) // 2]


def test_truncate_cuts_a_streamed_answer_too(client):
    response = client.get("/api/v1/catalog/export", headers={"Accept": "application/x-ndjson", "X-Sim-Fault": "truncate"})
    whole = client.get("/api/v1/catalog/export", headers={"Accept": "application/x-ndjson"}).get_data()
    data = response.get_data()
    assert 0 < len(data) < len(whole) and whole.startswith(data)


def test_truncate_on_the_real_server_closes_the_connection_after_the_cut(client):
    chunks = []
    with pytest.raises(ConnectionResetError):
        response = client.get(BROWSE, headers={"X-Sim-Fault": "truncate"}, environ_base={"gunicorn.socket": FakeSocket()},
                              buffered=False)
        for chunk in response.response:
            chunks.append(chunk)
    assert chunks and sum(map(len, chunks)) > 0


def test_configured_fault_rates_hit_about_as_often_as_asked(client, sim):
    patch(client, {"faults": {"groups": {"browse": {"error_rate": 0.3, "error_status": 502}}}})
    statuses = [client.get(BROWSE).status_code for _ in range(300)]
    assert set(statuses) == {200, 502}
    assert 50 <= statuses.count(502) <= 130
    patch(client, {"faults": {"groups": {"browse": {"error_rate": 1.0}}}})
    assert client.get("/api/v1/categories").status_code == 502
    assert client.post("/api/v1/baskets").status_code == 201  # another group: untouched


# -- SIM_FAULT_SEED ------------------------------------------------------------------------------
MIXED = {
    "latency": {"default": {"profile": "uniform", "min_ms": 0, "max_ms": 3}},
    "faults": {"default": {"error_rate": 0.15, "error_status": 500, "truncate_rate": 0.1}},
}


def run_sequence(make_app, fault_seed):
    app = make_app(fault_seed=fault_seed, **MIXED)
    client = app.test_client()
    outcome = []
    for path in ["/api/v1/categories", BROWSE, "/api/v1/catalog/changes?since=x"] * 25:
        response = client.get(path)
        outcome.append((response.status_code, response.headers.get("X-Sim-Injected"), response.headers.get("X-Sim-Latency-Ms")))
    return outcome, app


def test_the_same_seed_gives_the_same_faults_and_delays_in_the_same_order(make_app):
    first, app = run_sequence(make_app, 1234)
    second, _ = run_sequence(make_app, 1234)
    other, _ = run_sequence(make_app, 99)
    assert first == second
    assert first != other
    assert {status for status, _, _ in first} >= {200, 500}
    # a reset starts the sequence over
    client = app.test_client()
    client.post("/_sim/reset")
    again = []
    for path in ["/api/v1/categories", BROWSE, "/api/v1/catalog/changes?since=x"] * 25:
        response = client.get(path)
        again.append((response.status_code, response.headers.get("X-Sim-Injected"), response.headers.get("X-Sim-Latency-Ms")))
    assert again == first


def test_requests_to_one_group_do_not_shift_the_draws_of_another(make_app):
    app_a = make_app(fault_seed=5, **MIXED)
    app_b = make_app(fault_seed=5, **MIXED)
    a, b = app_a.test_client(), app_b.test_client()
    for _ in range(10):
        b.get("/api/v1/catalog/changes?since=x")  # only app_b serves this group in between
    seq_a = [a.get(BROWSE).status_code for _ in range(40)]
    seq_b = [b.get(BROWSE).status_code for _ in range(40)]
    assert seq_a == seq_b


# -- domain faults ---------------------------------------------------------------------------------
def draws(app, kind: str, times: int) -> list[bool]:
    """What a service asking `times` times meets, with the app's simulation deciding."""
    state = app.extensions[EXTENSION].simulation
    with domain_faults.deciding(state.decide_domain):
        return [domain_faults.hit(kind) for _ in range(times)]


def test_domain_fault_rates_and_seed(make_app):
    app = make_app(fault_seed=3, faults={"domain": {"card_declined": 0.5}})
    first = draws(app, "card_declined", 200)
    assert 60 <= sum(first) <= 140
    assert not any(draws(app, "sold_out", 50))  # rate 0
    again = make_app(fault_seed=3, faults={"domain": {"card_declined": 0.5}})
    assert draws(again, "card_declined", 200) == first
    stats = app.test_client().get("/_sim/stats").get_json()["domain_faults"]
    assert stats["card_declined"] == {"rate": 0.5, "injected": sum(first), "forced_by_header": 0}
    with pytest.raises(ValueError):
        domain_faults.hit("meteor_strike")


def test_a_domain_fault_is_forced_by_header_for_that_request_only(app, client, monkeypatch):
    seen = []
    original = app.view_functions["catalog.list_categories"]

    def spy(*args, **kwargs):
        seen.append((domain_faults.hit("sold_out"), domain_faults.hit("card_declined")))
        return original(*args, **kwargs)

    monkeypatch.setitem(app.view_functions, "catalog.list_categories", spy)
    assert client.get("/api/v1/categories", headers={"X-Sim-Fault": "sold_out"}).status_code == 200
    assert client.get("/api/v1/categories").status_code == 200
    assert seen == [(True, False), (False, False)]
    assert domain_faults.hit("sold_out") is False  # outside any request
    assert client.get("/_sim/stats").get_json()["domain_faults"]["sold_out"] == {"rate": 0.0, "injected": 1, "forced_by_header": 1}


def test_configured_rates_reach_services_in_every_request(client, app, monkeypatch):
    """Also a request with nothing else to inject (the middleware's quick path) meets them."""
    patch(client, {"faults": {"domain": {"price_changed": 1.0}}})
    seen = []
    original = app.view_functions["catalog.list_categories"]
    monkeypatch.setitem(app.view_functions, "catalog.list_categories",
                        lambda *a, **k: seen.append(domain_faults.hit("price_changed")) or original(*a, **k))
    assert client.get("/api/v1/categories").status_code == 200
    assert seen == [True]


def test_without_a_decider_only_a_forced_fault_hits():
    assert domain_faults.hit("card_declined") is False
    with domain_faults.deciding(None, forced="card_declined"):
        assert domain_faults.hit("card_declined") is True
        assert domain_faults.hit("sold_out") is False
    assert domain_faults.hit("card_declined") is False


# -- stats --------------------------------------------------------------------------------------
def test_stats_count_requests_errors_faults_and_latency_per_group(client, sim):
    patch(client, {"latency": {"groups": {"changes": "30ms"}}})
    client.get(BROWSE)
    client.get(BROWSE, headers={"X-Sim-Fault": "503"})
    client.get(BROWSE, headers={"X-Sim-Latency": "abc"})
    client.get("/api/v1/products/prd_missing")
    for _ in range(3):
        client.get("/api/v1/catalog/changes?since=x")
    client.get("/_sim/clock")
    stats = client.get("/_sim/stats").get_json()
    browse, changes = stats["groups"]["browse"], stats["groups"]["changes"]
    assert browse["requests"] == 4
    assert browse["statuses"] == {"200": 1, "400": 1, "404": 1, "503": 1}
    assert browse["errors"] == {"400": 1, "404": 1, "503": 1}
    assert browse["injected"] == {"503": 1}
    assert changes["requests"] == 3 and changes["statuses"] == {"422": 3}
    assert 30 <= changes["latency_ms"]["p50"] <= changes["latency_ms"]["p99"] < 200
    assert changes["target_latency_ms"] == {"profile": {"profile": "fixed", "ms": 30.0}, "p50": 30.0, "p95": 30.0, "p99": 30.0}
    assert browse["target_latency_ms"]["p99"] == 0
    assert sum(group["requests"] for group in stats["groups"].values()) == 7  # /_sim is not counted
    assert client.delete("/_sim/stats").status_code == 204
    assert client.get("/_sim/stats").get_json()["groups"]["browse"]["requests"] == 0


def test_stats_memory_is_bounded(sim):
    state = sim.simulation
    for index in range(50_000):
        state.stats.record("browse", 200, (index % 997) * 0.37 + 0.01)
    histogram = state.stats.groups["browse"].latency
    assert histogram.count == 50_000 and len(histogram.buckets) < 1000
    exact = sorted((index % 997) * 0.37 + 0.01 for index in range(50_000))
    assert histogram.percentile(0.5) == pytest.approx(exact[25_000], rel=0.02)
    assert histogram.percentile(0.99) == pytest.approx(exact[49_500], rel=0.02)


# -- reset ---------------------------------------------------------------------------------------
def test_reset_returns_config_stats_and_subscriptions_to_the_seeded_state(client, sim):
    initial = client.get("/_sim/config").get_json()
    patch(client, {"latency": {"default": "5ms"}, "faults": {"domain": {"sold_out": 1}}})
    client.get(BROWSE)
    client.environ_base["HTTP_AUTHORIZATION"] = "Bearer " + client.post("/_sim/integration-keys", json={"name": "t"}).get_json()["key"]
    created = client.post("/api/v1/webhooks", json={"url": "http://127.0.0.1:9/x", "events": ["product.updated"]})
    assert created.status_code == 201
    client.post("/_sim/clock", json={"action": "advance", "seconds": 3600})
    assert client.post("/_sim/reset").status_code == 200
    assert client.get("/_sim/config").get_json() == initial
    assert client.get("/_sim/stats").get_json()["groups"]["browse"]["requests"] == 0
    assert client.get("/api/v1/webhooks").get_json() == []
    assert client.get("/_sim/clock").get_json()["offset_seconds"] == 0


def test_deciding_restores_what_was_deciding_before():
    outer = []
    with domain_faults.deciding(lambda kind, forced: outer.append(kind) or True):
        with domain_faults.deciding(None, "sold_out"):
            assert domain_faults.hit("sold_out") and not domain_faults.hit("card_declined")
        assert domain_faults.hit("card_declined") and outer == ["card_declined"]
    assert not domain_faults.hit("sold_out")

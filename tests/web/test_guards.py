"""The guards of a shared simulator: Host names, cross-site control calls, who may use
the X-Sim-* headers, and bodies that are not JSON or nest too deeply."""

from __future__ import annotations

import pytest

from simulator.catalog.model import PRODUCT
from simulator.config import SettingsError, load_settings
from simulator.hostnames import host_name
from simulator.http.blueprints import EXTENSION
from tests.helpers.problems import assert_problem

ADMIN = "s3cret-admin"


@pytest.fixture
def shared(make_app):
    """A simulator with an admin token, as a team puts it on a shared host."""
    return make_app(admin_token=ADMIN).test_client()


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "127.0.0.1.nip.io", "[::2]:80"])
def test_a_foreign_host_name_is_misdirected_while_bound_to_loopback(client, host):
    assert_problem(client.get("/_sim/outbox", headers={"Host": host}), 421, "MISDIRECTED_REQUEST")
    assert_problem(client.get("/api/v1/categories", headers={"Host": host}), 421, "MISDIRECTED_REQUEST")


@pytest.mark.parametrize("host", ["localhost", "localhost:8000", "127.0.0.1:8000", "127.1.2.3", "[::1]:8000", "shop.localhost"])
def test_loopback_host_names_are_served(client, host):
    assert client.get("/api/v1/categories", headers={"Host": host}).status_code == 200


def test_allowed_hosts_names_a_load_balancer(make_app):
    client = make_app(allowed_hosts="sim.internal, 10.0.0.5").test_client()
    assert client.get("/api/v1/categories", headers={"Host": "sim.internal:8000"}).status_code == 200
    assert client.get("/api/v1/categories", headers={"Host": "10.0.0.5"}).status_code == 200
    assert_problem(client.get("/api/v1/categories", headers={"Host": "other.internal"}), 421, "MISDIRECTED_REQUEST")


def test_bound_to_all_interfaces_without_allowed_hosts_any_host_is_served(make_app):
    client = make_app(host="0.0.0.0", admin_token=ADMIN).test_client()
    assert client.get("/api/v1/categories", headers={"Host": "sim.example.com"}).status_code == 200


@pytest.mark.parametrize("raw", ["http://sim.internal", "sim.internal/path", "a b"])
def test_a_bad_allowed_hosts_setting_is_refused(raw):
    with pytest.raises(SettingsError, match="allowed_hosts"):
        load_settings(overrides={"allowed_hosts": raw}, environ={})


@pytest.mark.parametrize("header, expected", [("LOCALHOST:80", "localhost"), ("[::1]:8000", "::1"), ("a.example.", "a.example"), ("::1", "::1")])
def test_host_name(header, expected):
    assert host_name(header) == expected


def test_a_cross_site_page_cannot_reset_the_simulator(client, sim):
    before = sim.store
    # A form or a no-cors fetch from another site: a simple request, no preflight.
    answer = client.post("/_sim/reset", data="{}", content_type="text/plain", headers={"Origin": "http://evil.example"})
    assert_problem(answer, 403, "CROSS_SITE_FORBIDDEN")
    assert_problem(client.post("/_sim/reset", headers={"Sec-Fetch-Site": "cross-site"}), 403, "CROSS_SITE_FORBIDDEN")
    assert sim.store is before  # nothing was reset
    # The simulator's own pages (the docs, a console) and curl still work.
    assert client.post("/_sim/reset", headers={"Origin": "http://localhost"}).status_code == 200
    assert client.post("/_sim/reset").status_code == 200


def test_state_changing_control_bodies_must_be_json(client):
    assert_problem(client.post("/_sim/reset", data='{"seed": 1}', content_type="text/plain"), 415, "UNSUPPORTED_MEDIA_TYPE")


def test_header_controls_need_the_admin_token_when_one_is_set(shared):
    buyer = shared.application.extensions[EXTENSION]
    product = next(p for p in buyer.store.values(PRODUCT) if p.stock > 0)
    for headers in ({"X-Sim-Fault": "503"}, {"X-Sim-Latency": "30s"}, {"X-Sim-Fault": "timeout=12s"}):
        assert_problem(shared.get("/api/v1/nowhere", headers=headers), 403, "SIM_TOKEN_REQUIRED")
        assert_problem(shared.get("/api/v1/categories", headers={**headers, "X-Sim-Token": "guess"}), 403, "SIM_TOKEN_REQUIRED")
    assert buyer.store.get(PRODUCT, product.id).stock == product.stock
    allowed = shared.get("/api/v1/categories", headers={"X-Sim-Fault": "503", "X-Sim-Token": ADMIN})
    assert_problem(allowed, 503, "INJECTED_FAULT")
    assert shared.get("/api/v1/categories", headers={"X-Sim-Latency": "1ms", "Authorization": f"Bearer {ADMIN}"}).status_code == 200


def test_header_controls_off_refuses_them_for_everyone(make_app):
    client = make_app(header_controls=False).test_client()
    assert_problem(client.get("/api/v1/categories", headers={"X-Sim-Fault": "503"}), 403, "HEADER_CONTROLS_OFF")
    assert client.get("/api/v1/categories").status_code == 200


def test_without_an_admin_token_header_controls_work_as_before(client):
    assert_problem(client.get("/api/v1/categories", headers={"X-Sim-Fault": "502"}), 502, "INJECTED_FAULT")


def test_an_odd_fault_header_answers_a_plain_message(client):
    body = assert_problem(client.get("/api/v1/categories", headers={"X-Sim-Fault": "²"}), 400, "INVALID_SIM_HEADER")
    assert "invalid literal" not in body["detail"] and "must be one of" in body["detail"]


@pytest.mark.parametrize("body", ["[" * 100_000, '{"a":' * 50_000])
def test_deep_json_answers_400_and_changes_nothing(client, body):
    assert_problem(client.post("/api/v1/customers", data=body, content_type="application/json"), 400, "MALFORMED_JSON")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_json_body_without_the_json_content_type_answers_415(client, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    answer = client.post("/api/v1/auth/login", data='{"email": "demo@example.com", "password": "x"}', headers=headers)
    assert_problem(answer, 415, "UNSUPPORTED_MEDIA_TYPE")


def test_a_judged_host_is_kept_but_a_foreign_one_never_gets_through(client):
    """The guard keeps its verdicts per Host header: however many names come and go,
    foreign ones stay misdirected and loopback ones stay served."""
    from simulator.http.guards import HOST_VERDICTS_KEPT

    for _ in range(2):
        for n in range(HOST_VERDICTS_KEPT + 3):
            assert_problem(client.get("/api/v1/categories", headers={"Host": f"evil{n}.example"}), 421, "MISDIRECTED_REQUEST")
            if n % 50 == 0:
                assert client.get("/api/v1/categories", headers={"Host": "localhost:8000"}).status_code == 200
                assert_problem(client.get("/api/v1/categories", headers={"Host": "127.0.0.1.nip.io"}), 421)


def test_an_x_sim_header_is_seen_wherever_it_is_among_the_headers():
    """A raw WSGI call: the header named first, last, or alone, refused while off."""
    from simulator.http.guards import Guards

    guards = Guards(lambda environ, start_response: [b"served"], check_host=False, allowed_hosts=(),
                    header_controls=False, admin_token="")
    statuses: list[str] = []

    def start_response(status, headers, exc_info=None):
        statuses.append(status)

    plain = {"REQUEST_METHOD": "GET", "PATH_INFO": "/api/v1/categories", "HTTP_X_SIM_TOKEN": "t", "HTTP_X_SIMULATE": "1"}
    assert guards(plain, start_response) == [b"served"]
    for environ in ({"HTTP_X_SIM_FAULT": "error", **plain}, {**plain, "HTTP_X_SIM_LATENCY": "1s"}, {"HTTP_X_SIM_X": ""}):
        statuses.clear()
        guards(environ, start_response)
        assert statuses and statuses[0].startswith("403")

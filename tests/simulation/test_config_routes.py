"""GET/PATCH /_sim/config and /_sim/stats: shapes, validation, hostile input, the admin token."""

from __future__ import annotations

import pytest

from tests.helpers.problems import assert_problem


def test_get_config_shows_defaults_groups_and_seed(client):
    body = client.get("/_sim/config").get_json()
    assert body["latency"] == {"default": {"profile": "none"}, "groups": {}, "profiles": {}}
    assert body["faults"]["default"]["error_rate"] == 0 and body["faults"]["default"]["error_status"] == 503
    assert body["faults"]["domain"] == {"card_declined": 0.0, "sold_out": 0.0, "price_changed": 0.0}
    assert {"browse", "export", "changes", "auth", "customers", "basket", "checkout", "orders", "webhooks"} <= set(body["groups"])
    assert body["fault_seed"] is None


def test_patch_changes_only_what_it_names(client):
    body = client.patch("/_sim/config", json={
        "latency": {"groups": {"checkout": {"profile": "lognormal", "p50_ms": 120, "p95_ms": 900}}},
        "faults": {"groups": {"basket": {"error_rate": 0.05}}, "domain": {"card_declined": 0.25}},
    }).get_json()
    assert body["latency"]["groups"] == {"checkout": {"profile": "lognormal", "p50_ms": 120.0, "p95_ms": 900.0}}
    assert body["faults"]["groups"] == {"basket": {"error_rate": 0.05}}
    assert body["faults"]["domain"]["card_declined"] == 0.25
    again = client.patch("/_sim/config", json={"faults": {"groups": {"basket": {"error_status": 500}}}}).get_json()
    assert again["faults"]["groups"]["basket"] == {"error_rate": 0.05, "error_status": 500}
    assert again["latency"] == body["latency"]
    assert client.get("/_sim/config").get_json() == again
    assert client.patch("/_sim/config", json={}).get_json() == again


def test_config_file_settings_are_what_reset_returns_to(make_app):
    app = make_app(latency={"default": "3ms"}, fault_seed=8)
    client = app.test_client()
    assert client.get("/_sim/config").get_json()["latency"]["default"] == {"profile": "fixed", "ms": 3.0}
    client.patch("/_sim/config", json={"latency": {"default": None}})
    assert client.get("/_sim/config").get_json()["latency"]["default"] == {"profile": "none"}
    client.post("/_sim/reset")
    body = client.get("/_sim/config").get_json()
    assert body["latency"]["default"] == {"profile": "fixed", "ms": 3.0} and body["fault_seed"] == 8


HOSTILE = [
    ([], 422, None),
    ("fast please", 422, None),
    ({"speed": 2}, 422, None),
    ({"latency": 5}, 422, None),
    ({"latency": {"default": "-5ms"}}, 422, "latency.default"),
    ({"latency": {"default": "9999999h"}}, 422, "latency.default"),
    ({"latency": {"default": {"profile": "fixed", "ms": 1e308}}}, 422, "latency.default.ms"),
    ({"latency": {"groups": {"everything": "5ms"}}}, 422, "latency.groups.everything"),
    ({"latency": {"profiles": {"x" * 100: "5ms"}}}, 422, None),
    ({"latency": {"profiles": {f"p{i}": "1ms" for i in range(60)}}}, 422, "latency.profiles"),
    ({"faults": {"default": {"error_rate": -0.1}}}, 422, "faults.default.error_rate"),
    ({"faults": {"default": {"error_rate": "0.1"}}}, 422, "faults.default.error_rate"),
    ({"faults": {"default": {"error_status": 200}}}, 422, "faults.default.error_status"),
    ({"faults": {"default": {"error_rate": 0.7, "timeout_rate": 0.7}}}, 422, "faults.default"),
    ({"faults": {"groups": {"basket": [1, 2]}}}, 422, "faults.groups.basket"),
    ({"faults": {"domain": {"card_declined": 2}}}, 422, "faults.domain.card_declined"),
    ({"faults": {"domain": {"card_declined": True}}}, 422, "faults.domain.card_declined"),
]


@pytest.mark.parametrize("body, status, path", HOSTILE)
def test_bad_patches_answer_422_and_change_nothing(client, body, status, path):
    client.patch("/_sim/config", json={"faults": {"groups": {"orders": {"error_rate": 0.1}}}})
    before = client.get("/_sim/config").get_json()
    response = client.patch("/_sim/config", json=body)
    problem = assert_problem(response, status)
    if path:
        assert path in problem["errors"], problem
        assert problem["code"] == "INVALID_SIM_CONFIG"
    assert client.get("/_sim/config").get_json() == before


def test_malformed_json_is_400(client):
    response = client.patch("/_sim/config", data="{not json", content_type="application/json")
    assert_problem(response, 400)


def test_a_patch_that_would_break_the_sum_of_rates_through_the_default_is_refused(client):
    client.patch("/_sim/config", json={"faults": {"groups": {"basket": {"error_rate": 0.6}}}})
    response = client.patch("/_sim/config", json={"faults": {"default": {"drop_rate": 0.5}}})
    body = assert_problem(response, 422, "INVALID_SIM_CONFIG")
    assert "faults.groups.basket" in body["errors"]


def test_stats_shape(client):
    client.get("/api/v1/categories")
    body = client.get("/_sim/stats").get_json()
    assert {"since", "now", "fault_seed", "groups", "domain_faults"} <= set(body)
    browse = body["groups"]["browse"]
    assert {"requests", "statuses", "errors", "injected", "latency_ms", "target_latency_ms", "faults"} <= set(browse)
    assert {"p50", "p95", "p99", "mean", "max", "samples"} <= set(browse["latency_ms"])
    assert browse["requests"] == 1 and browse["latency_ms"]["samples"] == 1


def test_config_and_stats_need_the_admin_token_when_set(make_app):
    client = make_app(admin_token="s3cret").test_client()
    for method, url in (("get", "/_sim/config"), ("patch", "/_sim/config"), ("get", "/_sim/stats"), ("delete", "/_sim/stats")):
        assert_problem(getattr(client, method)(url, json={}), 401, "ADMIN_TOKEN_REQUIRED")
    assert client.get("/_sim/stats", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    ok = client.patch("/_sim/config", json={"latency": {"default": "1ms"}}, headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 200


def test_the_openapi_document_lists_the_new_endpoints(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    for path in ("/_sim/config", "/_sim/stats", "/api/v1/webhooks", "/api/v1/webhooks/{subscription_id}",
                 "/api/v1/webhooks/{subscription_id}/deliveries"):
        assert path in paths, path


def test_values_of_the_wrong_type_are_422_not_500(make_app):

    client = make_app().test_client()
    for patch in ({"latency": {"default": {"profile": ["fixed"]}}}, {"latency": {"default": {"profile": {"a": 1}}}},
                  {"faults": {"default": {"error_status": 503.0, "error_rate": 1}}}):
        response = client.patch("/_sim/config", json=patch)
        assert response.status_code == 422, (patch, response.get_data(as_text=True))


def test_a_lognormal_profile_never_overflows():
    import random

    from simulator.simulation.latency import parse_profile

    profile = parse_profile({"profile": "lognormal", "p50_ms": 1e-300, "p95_ms": 60000}, "test")
    rng = random.Random(3)
    assert all(0 <= profile.sample(rng) <= profile.cap_ms for _ in range(20000))

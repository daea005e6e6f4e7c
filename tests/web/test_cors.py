"""CORS answers of the webservices and the media, none from the simulator controls."""

from __future__ import annotations

import pytest

from simulator.config import SettingsError, load_settings
from simulator.hostnames import parse_origins

STOREFRONT = "http://localhost:3000"


def preflight(client, path: str, method: str = "POST", headers: str = "content-type", origin: str = STOREFRONT):
    return client.options(path, headers={
        "Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers,
    })


def test_any_origin_by_default_with_the_contract_headers_allowed_and_exposed(client):
    answer = preflight(client, "/api/v1/basket/items", "PATCH",
                       "authorization, content-type, if-match, if-none-match, idempotency-key, x-basket-token, x-sim-latency, x-sim-fault")
    assert answer.status_code == 200
    assert answer.headers["Access-Control-Allow-Origin"] == STOREFRONT
    allowed = {name.strip() for name in answer.headers["Access-Control-Allow-Headers"].split(",")}
    assert allowed == {"authorization", "content-type", "if-match", "if-none-match", "idempotency-key",
                       "x-basket-token", "x-sim-latency", "x-sim-fault"}
    assert "PATCH" in answer.headers["Access-Control-Allow-Methods"]

    listing = client.get("/api/v1/products?page_size=2", headers={"Origin": STOREFRONT})
    exposed = {name.strip() for name in listing.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"ETag", "X-Pagination", "Location", "Retry-After", "Idempotent-Replayed", "X-Sim-Injected"} <= exposed


def test_a_header_outside_the_list_is_not_allowed(client):
    answer = preflight(client, "/api/v1/basket", "GET", "x-evil")
    assert "x-evil" not in answer.headers.get("Access-Control-Allow-Headers", "")


def test_errors_and_media_answer_cors_too(client):
    assert client.get("/api/v1/nowhere", headers={"Origin": STOREFRONT}).headers["Access-Control-Allow-Origin"] == STOREFRONT
    product = client.get("/api/v1/products?page_size=1").get_json()[0]
    image = product["images"][0].split("://", 1)[1].partition("/")[2]
    media = client.get("/" + image, headers={"Origin": STOREFRONT})
    assert media.status_code == 200 and media.headers["Access-Control-Allow-Origin"] == STOREFRONT


def test_the_simulator_controls_answer_no_cors(client):
    assert "Access-Control-Allow-Origin" not in client.get("/_sim/clock", headers={"Origin": STOREFRONT}).headers
    assert "Access-Control-Allow-Origin" not in preflight(client, "/_sim/reset").headers


def test_a_list_of_origins_allows_only_those(make_app):
    client = make_app(cors_origins="http://a.test:3000, https://shop.example").test_client()
    assert client.get("/api/v1/categories", headers={"Origin": "https://shop.example"}).headers["Access-Control-Allow-Origin"] == "https://shop.example"
    assert "Access-Control-Allow-Origin" not in client.get("/api/v1/categories", headers={"Origin": "http://b.test:3000"}).headers


def test_empty_turns_cors_off(make_app):
    client = make_app(cors_origins="").test_client()
    assert "Access-Control-Allow-Origin" not in client.get("/api/v1/categories", headers={"Origin": STOREFRONT}).headers


def test_preflights_are_never_delayed_faulted_or_counted(client):
    assert client.patch("/_sim/config", json={"latency": {"default": "300ms"}, "faults": {"default": {"error_rate": 1.0}}}).status_code == 200
    assert client.get("/api/v1/categories").status_code == 503  # what an ordinary request meets now
    client.delete("/_sim/stats")
    answer = preflight(client, "/api/v1/basket/items")
    assert answer.status_code == 200 and "X-Sim-Injected" not in answer.headers
    groups = client.get("/_sim/stats").get_json()["groups"]
    assert all(group["requests"] == 0 for group in groups.values())


@pytest.mark.parametrize("raw, origins", [
    ("*", ("*",)), ("", ()), (" http://localhost:3000/ ,https://a.example ", ("http://localhost:3000", "https://a.example")),
])
def test_origins_setting(raw, origins):
    assert parse_origins(raw) == origins


@pytest.mark.parametrize("raw", ["localhost:3000", "http://a.test/path", "*, http://a.test", "ftp://a.test"])
def test_a_bad_origins_setting_is_refused_naming_the_setting(raw):
    with pytest.raises(SettingsError, match="cors_origins"):
        load_settings(overrides={"cors_origins": raw}, environ={})


@pytest.mark.parametrize("origins", ["*", "http://a.test:3000, https://shop.example", "https://shop.example"])
def test_answers_to_requests_without_an_origin_are_those_flask_cors_gives(make_app, origins):
    """The shortcut for requests without `Origin` (cors.WithoutOrigin) changes no answer:
    the same requests to the same app without it get the same headers."""
    from simulator.http.cors import WithoutOrigin

    app = make_app(cors_origins=origins)
    client = app.test_client()
    product = client.get("/api/v1/products?page_size=1").get_json()[0]
    image = "/" + product["images"][0].split("://", 1)[1].partition("/")[2]
    requests = [
        ("GET", f"/api/v1/products/{product['id']}", {}),
        ("GET", "/api/v1/products?page_size=2", {}),
        ("GET", "/api/v1/products?nope=1", {}),  # 422
        ("GET", "/api/v1/nowhere", {}),  # 404
        ("POST", "/api/v1/basket/items", {}),  # 401/4xx: no basket
        ("GET", image, {}),
        ("GET", "/_sim/clock", {}),
        ("GET", "/docs", {}),
        ("OPTIONS", "/api/v1/basket/items", {"Access-Control-Request-Method": "POST"}),
        ("GET", "/api/v1/categories", {"Access-Control-Request-Private-Network": "true"}),
        ("GET", "/api/v1/categories", {"Origin": "https://shop.example"}),
        ("GET", "/api/v1/categories", {"Origin": ""}),
    ]

    def answers():
        return [sorted(client.open(path, method=method, headers=headers).headers.items()) for method, path, headers in requests]

    shortcut = answers()
    hooks = app.after_request_funcs[None]
    assert any(isinstance(hook, WithoutOrigin) for hook in hooks)
    hooks[:] = [hook for hook in hooks if not isinstance(hook, WithoutOrigin)]
    assert shortcut == answers()

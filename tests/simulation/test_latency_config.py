"""Latency profiles, the simulation config (file, arguments, merge patch) and its validation."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from simulator.config import SettingsError, load_settings
from simulator.simulation import config as simconfig
from simulator.simulation.groups import GROUPS, group_for_path
from simulator.simulation.latency import MAX_LATENCY_MS, ConfigError, parse_duration, parse_profile


@pytest.mark.parametrize("text, ms", [("250ms", 250), ("1.5s", 1500), ("250", 250), (" 0 ", 0), ("60s", 60_000), ("2S", 2000)])
def test_durations(text, ms):
    assert parse_duration(text) == ms


@pytest.mark.parametrize("text", ["-5ms", "9999999h", "abc", "", "61s", "1e3ms", "5 m", "nan", "inf", "1" * 40, "10h"])
def test_bad_durations_are_refused(text):
    with pytest.raises(ValueError):
        parse_duration(text)


def test_fixed_uniform_and_normal_profiles_stay_in_their_bounds():
    rng = random.Random(1)
    assert parse_profile("100ms", "p").sample(rng) == 100
    assert parse_profile({"profile": "fixed", "ms": 40}, "p").sample(rng) == 40
    uniform = parse_profile({"profile": "uniform", "min_ms": 10, "max_ms": 20}, "p")
    samples = [uniform.sample(rng) for _ in range(2000)]
    assert 10 <= min(samples) < 11 and 19 < max(samples) <= 20
    normal = parse_profile({"profile": "normal", "mean_ms": 5, "stddev_ms": 10, "cap_ms": 25}, "p")
    samples = [normal.sample(rng) for _ in range(5000)]
    assert min(samples) == 0 and max(samples) == 25  # clipped at 0 below and at the cap above
    assert parse_profile({"profile": "none"}, "p").sample(rng) == 0


@pytest.mark.parametrize("upper, q", [("p95_ms", 0.95), ("p99_ms", 0.99)])
def test_lognormal_given_by_percentiles_delivers_them(upper, q):
    profile = parse_profile({"profile": "lognormal", "p50_ms": 80, upper: 400}, "p")
    assert profile.percentile(0.5) == pytest.approx(80) and profile.percentile(q) == pytest.approx(400)
    rng = random.Random(7)
    samples = sorted(profile.sample(rng) for _ in range(40_000))
    assert samples[len(samples) // 2] == pytest.approx(80, rel=0.05)
    assert samples[int(len(samples) * q)] == pytest.approx(400, rel=0.08)


def test_the_cap_bounds_every_sample():
    profile = parse_profile({"profile": "lognormal", "p50_ms": 100, "p99_ms": 50_000, "cap_ms": 300}, "p")
    rng = random.Random(3)
    assert max(profile.sample(rng) for _ in range(5000)) == 300
    assert profile.percentile(0.99) == 300


@pytest.mark.parametrize(
    "raw, path",
    [
        ({"profile": "gamma"}, "x.profile"),
        ({"profile": "fixed"}, "x.ms"),
        ({"profile": "fixed", "ms": -1}, "x.ms"),
        ({"profile": "fixed", "ms": MAX_LATENCY_MS + 1}, "x.ms"),
        ({"profile": "fixed", "ms": True}, "x.ms"),
        ({"profile": "fixed", "ms": "100"}, "x.ms"),
        ({"profile": "fixed", "ms": 1, "mean_ms": 3}, "x.mean_ms"),
        ({"profile": "uniform", "min_ms": 30, "max_ms": 20}, "x.min_ms"),
        ({"profile": "lognormal", "p50_ms": 100}, "x.p95_ms"),
        ({"profile": "lognormal", "p50_ms": 100, "p95_ms": 200, "p99_ms": 300}, "x.p95_ms"),
        ({"profile": "lognormal", "p50_ms": 100, "p95_ms": 50}, "x.p95_ms"),
        ({"profile": "lognormal", "p50_ms": 0, "p95_ms": 50}, "x.p50_ms"),
        ({"profile": "fixed", "ms": 1, "cap_ms": float("nan")}, "x.cap_ms"),
        ("fast", "x"),
        ([1, 2], "x"),
    ],
)
def test_bad_profiles_name_the_field(raw, path):
    with pytest.raises(ConfigError) as caught:
        parse_profile(raw, "x")
    assert path in caught.value.errors


def test_every_documented_path_has_a_group_and_controls_have_none():
    assert group_for_path("/api/v1/products") == "browse"
    assert group_for_path("/api/v1/products/prd_x") == "browse"
    assert group_for_path("/api/v1/categories") == "browse"
    assert group_for_path("/api/v1/catalog/export") == "export"
    assert group_for_path("/api/v1/catalog/changes") == "changes"
    assert group_for_path("/api/v1/auth/login") == "auth"
    assert group_for_path("/api/v1/customers/me/addresses") == "customers"
    assert group_for_path("/api/v1/baskets") == "basket"
    assert group_for_path("/api/v1/basket/items/itm_1") == "basket"
    assert group_for_path("/api/v1/checkout/chk_1/payment") == "checkout"
    assert group_for_path("/api/v1/orders") == "orders"
    assert group_for_path("/api/v1/webhooks/whk_1/deliveries") == "webhooks"
    assert group_for_path("/media/products/prd_x/1.svg") == "media"
    assert group_for_path("/api/v1/nothing-here") == "other"
    assert group_for_path("/api/v1/productsX") == "other"  # a prefix matches whole segments only
    for path in ("/_sim/reset", "/_sim/config", "/docs", "/docs/assets/x.js", "/openapi.json", "/", "/apix"):
        assert group_for_path(path) is None, path
    assert set(GROUPS) >= {"browse", "export", "changes", "auth", "customers", "basket", "checkout", "orders", "webhooks"}


# -- the whole config -------------------------------------------------------------------
def test_normalize_fills_defaults_and_round_trips():
    config = simconfig.normalize({
        "latency": {"default": "20ms", "groups": {"checkout": {"profile": "lognormal", "p50_ms": 100, "p99_ms": 900}},
                    "profiles": {"slow": {"profile": "uniform", "min_ms": 500, "max_ms": 900}}},
        "faults": {"default": {"error_rate": 0.01}, "groups": {"basket": {"error_rate": 0.2, "error_status": 502}},
                   "domain": {"card_declined": 0.5}},
    })
    assert config["latency"]["default"] == {"profile": "fixed", "ms": 20.0}
    assert config["latency"]["groups"]["checkout"] == {"profile": "lognormal", "p50_ms": 100.0, "p99_ms": 900.0}
    assert config["faults"]["default"]["error_status"] == 503 and config["faults"]["default"]["error_rate"] == 0.01
    assert config["faults"]["domain"] == {"card_declined": 0.5, "sold_out": 0.0, "price_changed": 0.0}
    assert simconfig.normalize(config) == config
    compiled = simconfig.compile(config)
    assert compiled.faults["basket"].error_rate == 0.2 and compiled.faults["basket"].error_status == 502
    assert compiled.faults["orders"].error_rate == 0.01  # the default, field by field
    assert compiled.latency["orders"].kind == "fixed" and compiled.latency["checkout"].kind == "lognormal"


@pytest.mark.parametrize(
    "raw, path",
    [
        ({"latency": {"profile": "fixed", "ms": 5}}, "latency.profile"),
        ({"latency": {"groups": {"nope": "5ms"}}}, "latency.groups.nope"),
        ({"latency": {"profiles": {"Bad Name": "5ms"}}}, "latency.profiles.Bad Name"),
        ({"latency": {"profiles": 5}}, "latency.profiles"),
        ({"faults": {"default": {"error_rate": 1.5}}}, "faults.default.error_rate"),
        ({"faults": {"default": {"error_status": 418}}}, "faults.default.error_status"),
        ({"faults": {"default": {"timeout_action": "explode"}}}, "faults.default.timeout_action"),
        ({"faults": {"default": {"timeout_seconds": 10_000}}}, "faults.default.timeout_seconds"),
        ({"faults": {"default": {"retry_after_seconds": 1.5}}}, "faults.default.retry_after_seconds"),
        ({"faults": {"groups": {"basket": {"error_rate": 0.6, "drop_rate": 0.6}}}}, "faults.groups.basket"),
        ({"faults": {"domain": {"alien_invasion": 0.1}}}, "faults.domain.alien_invasion"),
        ({"faults": {"default": {"eror_rate": 0.1}}}, "faults.default.eror_rate"),
        ({"faults": "often"}, "faults"),
        ({"speed": 1}, "simulation.speed"),
    ],
)
def test_bad_config_names_each_field_by_its_path(raw, path):
    with pytest.raises(ConfigError) as caught:
        simconfig.normalize(raw)
    assert path in caught.value.errors, caught.value.errors


def test_merge_patch_merges_faults_and_replaces_a_latency_profile_whole():
    base = simconfig.normalize({"latency": {"default": {"profile": "fixed", "ms": 50}},
                                "faults": {"groups": {"basket": {"error_rate": 0.1, "error_status": 502}}}})
    merged = simconfig.merge_patch(base, {
        "latency": {"default": {"profile": "uniform", "min_ms": 1, "max_ms": 2}},
        "faults": {"groups": {"basket": {"error_rate": 0.3}}},
    })
    config = simconfig.normalize(merged)
    assert config["latency"]["default"] == {"profile": "uniform", "min_ms": 1.0, "max_ms": 2.0}  # no stale "ms"
    assert config["faults"]["groups"]["basket"] == {"error_rate": 0.3, "error_status": 502}
    removed = simconfig.normalize(simconfig.merge_patch(config, {"faults": {"groups": {"basket": None}}, "latency": {"default": None}}))
    assert removed["faults"]["groups"] == {} and removed["latency"]["default"] == {"profile": "none"}


def test_a_deeply_nested_patch_is_a_value_not_a_recursion():
    deep: dict = {}
    node = deep
    for _ in range(5000):
        node["a"] = {}
        node = node["a"]
    merged = simconfig.merge_patch(simconfig.normalize({}), {"faults": {"groups": {"basket": deep}}})
    with pytest.raises(ConfigError):
        simconfig.normalize(merged)


# -- settings: the TOML file, SIM_FAULT_SEED -----------------------------------------------
def test_sections_of_the_config_file_are_read(tmp_path: Path):
    config = tmp_path / "sim.toml"
    config.write_text(
        'products = 10\nfault_seed = 99\n'
        '[latency.default]\nprofile = "lognormal"\np50_ms = 40\np95_ms = 250\ncap_ms = 2000\n'
        '[latency.groups]\ncheckout = "300ms"\n'
        '[latency.profiles.slow]\nprofile = "uniform"\nmin_ms = 500\nmax_ms = 1500\n'
        '[faults.default]\nerror_rate = 0.01\n'
        '[faults.groups.checkout]\nerror_rate = 0.05\nerror_status = 502\ntimeout_rate = 0.01\ntimeout_seconds = 10\n'
        'timeout_action = "drop"\n'
        '[faults.domain]\ncard_declined = 0.1\n'
    )
    settings = load_settings(environ={"SIM_CONFIG": str(config)})
    assert settings.products == 10 and settings.fault_seed == 99
    sim = settings.simulation
    assert sim["latency"]["default"] == {"profile": "lognormal", "p50_ms": 40.0, "p95_ms": 250.0, "cap_ms": 2000.0}
    assert sim["latency"]["groups"]["checkout"] == {"profile": "fixed", "ms": 300.0}
    assert sim["latency"]["profiles"]["slow"]["profile"] == "uniform"
    assert sim["faults"]["groups"]["checkout"]["timeout_action"] == "drop"
    assert sim["faults"]["domain"]["card_declined"] == 0.1
    # arguments replace a section of the file, and keep the other one
    overridden = load_settings(environ={"SIM_CONFIG": str(config)}, overrides={"faults": {}})
    assert overridden.simulation["faults"]["default"]["error_rate"] == 0
    assert overridden.simulation["latency"] == sim["latency"]


def test_a_bad_section_in_the_file_is_refused_saying_where(tmp_path: Path):
    config = tmp_path / "sim.toml"
    config.write_text('[latency.groups.checkout]\nprofile = "lognormal"\np50_ms = 100\np95_ms = 10\n')
    with pytest.raises(SettingsError, match=r"invalid simulation config in .*sim\.toml: latency\.groups\.checkout\.p95_ms"):
        load_settings(environ={"SIM_CONFIG": str(config)})
    config.write_text("[latency]\nspeed = 3\n")
    with pytest.raises(SettingsError, match="latency.speed"):
        load_settings(environ={"SIM_CONFIG": str(config)})


def test_fault_seed_from_the_environment():
    assert load_settings(environ={}).fault_seed is None
    assert load_settings(environ={"SIM_FAULT_SEED": "12"}).fault_seed == 12
    assert load_settings(environ={"SIM_FAULT_SEED": ""}).fault_seed is None
    for bad in ("abc", "-1", "1.5"):
        with pytest.raises(SettingsError, match="fault_seed"):
            load_settings(environ={"SIM_FAULT_SEED": bad})


def test_webhook_settings_are_checked():
    assert load_settings(environ={"SIM_WEBHOOK_ALLOWED_HOSTS": "hooks.example.test, 10.0.0.0/8"}).webhook_allowed_hosts
    with pytest.raises(SettingsError, match="webhook_allowed_hosts"):
        load_settings(environ={"SIM_WEBHOOK_ALLOWED_HOSTS": "http://x y"})
    with pytest.raises(SettingsError, match="webhook_max_attempts"):
        load_settings(environ={"SIM_WEBHOOK_MAX_ATTEMPTS": "0"})
    with pytest.raises(SettingsError, match="webhook_read_timeout_seconds"):
        load_settings(environ={"SIM_WEBHOOK_READ_TIMEOUT_SECONDS": "0"})

import itertools
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.config import Settings, SettingsError, load_settings

ROOT = Path(__file__).resolve().parent.parent


def test_defaults_when_nothing_is_set():
    settings = load_settings(environ={})
    assert settings == Settings()
    assert (settings.host, settings.port, settings.seed, settings.products) == ("127.0.0.1", 8000, 42, 10_000)


def test_layers_file_then_environment_then_arguments(tmp_path: Path):
    config = tmp_path / "sim.toml"
    config.write_text('seed = 7\nproducts = 123\nport = 9000\ncurrency = "GBP"\n')
    environ = {"SIM_CONFIG": str(config), "SIM_PRODUCTS": "456", "SIM_PORT": "9100"}
    settings = load_settings(overrides={"port": 9200}, environ=environ)
    assert settings.currency == "GBP"  # file only
    assert settings.seed == 7  # file only
    assert settings.products == 456  # env beats file
    assert settings.port == 9200  # arguments beat env


@pytest.mark.parametrize(
    "environ, fragment",
    [
        ({"SIM_PORT": "eighty"}, "'port' must be a int"),
        ({"SIM_PORT": "70000"}, "'port' must be between"),
        ({"SIM_PRODUCTS": "-1"}, "'products' must be between"),
        ({"SIM_CHURN_PER_MINUTE": "nan"}, "'churn_per_minute' must be a float"),
        ({"SIM_ALLOW_PUBLIC_WITHOUT_TOKEN": "maybe"}, "must be a bool"),
        ({"SIM_CONFIG": "/nonexistent/sim.toml"}, "cannot read config file"),
    ],
)
def test_bad_values_are_refused_with_the_setting_named(environ, fragment):
    with pytest.raises(SettingsError, match=fragment.replace("'", ".")):
        load_settings(environ=environ)


def test_unknown_keys_in_a_config_file_are_refused(tmp_path: Path):
    config = tmp_path / "sim.toml"
    config.write_text("prodcuts = 5\n")
    with pytest.raises(SettingsError, match="unknown setting.*prodcuts"):
        load_settings(environ={"SIM_CONFIG": str(config)})


def test_replace_checks_values_like_any_other_source():
    assert Settings().replace(products=5).products == 5
    with pytest.raises(SettingsError):
        Settings().replace(products="lots")


def test_the_settings_page_shows_the_table_that_the_settings_command_prints():
    """docs/settings.md holds the output of `python -m simulator settings` verbatim."""
    printed = subprocess.run(
        [sys.executable, "-m", "simulator", "settings"], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.splitlines()
    page = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8").splitlines()
    start = page.index(printed[0])
    shown = list(itertools.takewhile(lambda line: line.startswith("|"), page[start:]))
    assert shown == printed, "docs/settings.md: paste the output of `python -m simulator settings` as its table"

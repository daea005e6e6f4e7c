"""The scenarios' settings: Locust command-line options, also read from locust.conf and the environment.

Each setting is a `--dashed-name` on the command line or a `dashed-name = value` line in
a config file (`--config loadtests/locust.conf`); those with an `env_var` below can also
come from that environment variable (LOAD_SHAPE=spike). They show in the web UI under
"Custom parameters", and a master hands them to its workers.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from locust import events

SHAPE_NAMES = ("ramp", "spike", "soak")
EXPORT_MODES = ("pages", "ndjson")


@dataclass(frozen=True)
class Setting:
    name: str  # the dest: --shape-name → shape_name
    default: Any
    help: str
    type: type = str
    env_var: str | None = None
    choices: tuple | None = None

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


SETTINGS = (
    # -- what runs ---------------------------------------------------------------------
    Setting("shape_name", "", "Load shape by name: ramp, spike or soak (empty: plain -u/-r/-t). "
            "Peak users come from -u, the duration from -t.", env_var="LOAD_SHAPE", choices=("",) + SHAPE_NAMES),
    Setting("think_time", "1,3", "Seconds a shopper or buyer waits between actions: 'min,max' (uniform).",
            env_var="LOAD_THINK_TIME"),
    Setting("customers", 1000, "Seeded customers on the backend (SIM_CUSTOMERS): customer{N}@example.test, 1 <= N <= this.",
            type=int, env_var="LOAD_CUSTOMERS"),
    Setting("customer_password", "alegra-sim-2026", "Password of the seeded customers.", env_var="LOAD_CUSTOMER_PASSWORD"),
    Setting("register_ratio", 0.2, "Share of checkout users that register a new account instead of logging in "
            "(1: no seeded account is needed).", type=float),
    Setting("signed_in_ratio", 0.3, "Share of shoppers that browse signed in (the others use a guest basket; "
            "0: shoppers never sign in).", type=float),
    Setting("cancel_ratio", 0.15, "Share of placed orders that the buyer cancels right away.", type=float),
    # -- catalog sync ------------------------------------------------------------------
    Setting("export_mode", "pages", "Full export style of the catalog sync user: pages (cursor pages) or ndjson (one stream).",
            env_var="LOAD_EXPORT_MODE", choices=EXPORT_MODES),
    Setting("export_page_size", 1000, "Products per export page (pages mode; at most 1000).", type=int),
    Setting("sync_poll_seconds", 5.0, "Seconds between two pulls of the changes feed.", type=float, env_var="LOAD_SYNC_POLL_SECONDS"),
    Setting("sync_check_seconds", 0.0, "Also compare the replica with a fresh export every this many seconds while running "
            "(0: only when the user stops). Use it in distributed runs: a master waits only briefly for its workers' "
            "last report, which may miss the check made on stop.", type=float),
    # -- measuring --------------------------------------------------------------------
    Setting("stats_settle_seconds", 0.0, "With --reset-stats: reset the statistics this many seconds after all users "
            "are spawned instead of at once, so the burst of users starting (each signs in, opens a basket, loads "
            "the categories) stays out of the figures of the steady load.", type=float),
    # -- service levels, checked when Locust quits -------------------------------------
    Setting("slo_fail_ratio", 0.01, "Largest share of failed requests (0.01 = 1 %).", type=float),
    Setting("slo_p95_catalog_sync", 2000, "Largest p95 in ms of the catalog sync scenario's requests (0: not checked).", type=int),
    Setting("slo_p95_shopper", 500, "Largest p95 in ms of the shopper scenario's requests (0: not checked).", type=int),
    Setting("slo_p95_checkout", 1000, "Largest p95 in ms of the checkout scenario's requests (0: not checked).", type=int),
    Setting("summary_json", "", "Write the per-scenario figures and SLO verdicts to this JSON file when Locust quits."),
)
DEFAULTS = {setting.name: setting.default for setting in SETTINGS}


@events.init_command_line_parser.add_listener
def add_arguments(parser, **_kwargs) -> None:
    for setting in SETTINGS:
        kwargs: dict[str, Any] = {"type": setting.type, "default": setting.default, "help": setting.help}
        if setting.env_var:
            kwargs["env_var"] = setting.env_var
        if setting.choices:
            kwargs["choices"] = setting.choices
        parser.add_argument(setting.flag, **kwargs)


def setting(environment, name: str) -> Any:
    """A setting's value for this run (its default when Locust was started without our parser, e.g. in a test)."""
    options = getattr(environment, "parsed_options", None)
    value = getattr(options, name, None) if options is not None else None
    return DEFAULTS[name] if value is None else value


def think_range(environment) -> tuple[float, float]:
    text = str(setting(environment, "think_time"))
    try:
        low, _, high = text.partition(",")
        low_value = float(low)
        high_value = float(high) if high else low_value
    except ValueError:
        raise ValueError(f"--think-time must be 'min,max' in seconds, not {text!r}") from None
    return min(low_value, high_value), max(low_value, high_value)


def think_time(user) -> float:
    """A User.wait_time: uniform between the --think-time bounds."""
    low, high = think_range(user.environment)
    return random.uniform(low, high)

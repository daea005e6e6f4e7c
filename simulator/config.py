"""One Settings object, layered: defaults < config file < SIM_* environment < arguments.

Every field here is a setting a user can change; the settings table in docs/settings.md
lists them all (a test keeps the two in step).
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from simulator import offload
from simulator.errors import ConfigError, SettingsError
from simulator.hostnames import parse_host_names, parse_origins
from simulator.simulation import config as simconfig
from simulator.webhooks.hosts import parse_allowed_hosts


@dataclass(frozen=True)
class Settings:
    host: str = field(default="127.0.0.1", metadata={"doc": "Interface the server binds to."})
    port: int = field(default=8000, metadata={"doc": "TCP port the server listens on."})
    seed: int = field(default=42, metadata={"doc": "Seed of the generated data: the same seed gives the same catalog and ids."})
    products: int = field(default=10_000, metadata={"doc": "Number of products seeded."})
    currency: str = field(default="EUR", metadata={"doc": "Currency of every price."})
    churn_per_minute: float = field(
        default=6.0,
        metadata={"doc": "Catalog changes per simulated minute made by the churn generator; 0 turns it off."},
    )
    changes_retention_seconds: int = field(
        default=7 * 24 * 3600,
        metadata={"doc": "How long (simulated seconds) deletions stay in the changes feed; an older sync token answers 410."},
    )
    customers: int = field(
        default=1000,
        metadata={"doc": "Number of customers seeded (customer{N}@example.test, plus demo@example.com)."},
    )
    token_ttl_seconds: int = field(
        default=24 * 3600,
        metadata={"doc": "Lifetime (simulated seconds) of a customer bearer token from login or registration."},
    )
    reset_token_ttl_seconds: int = field(
        default=3600,
        metadata={"doc": "Lifetime (simulated seconds) of a password reset token sent to the outbox."},
    )
    password_hash_profile: str = field(
        default="secure",
        metadata={"doc": "Argon2id cost: `secure` (t=2, 19 MiB, as OWASP advises) or `fast` (t=1, 64 KiB) for load tests."},
    )
    max_addresses: int = field(default=20, metadata={"doc": "Most addresses one customer may keep in the address book."})
    login_failures_per_address: int = field(
        default=50,
        metadata={"doc": "Failed logins from one client address (IPv6: its /64) within 15 minutes after which logins from "
                         "there answer 429 with Retry-After, whatever the email. Behind a proxy every client shares its address."},
    )
    max_login_failure_records: int = field(
        default=100_000,
        metadata={"doc": "Most failed-login records kept, per email and per client address each (and as many registration "
                         "counts per address); past it the longest idle are forgotten. Records also go once their 15-minute "
                         "window has passed."},
    )
    registrations_per_address: int = field(
        default=2000,
        metadata={"doc": "Accounts one client address (IPv6: its /64) may register within 15 minutes; past it registering from "
                         "there answers 429 TOO_MANY_ATTEMPTS with Retry-After and creates nothing. Generous for load tests from "
                         "one host; it bounds how fast a stranger can grow the store. Behind a proxy every client shares its address."},
    )
    max_line_quantity: int = field(default=99, metadata={"doc": "Most units of one product a basket line may hold."})
    guest_basket_ttl_seconds: int = field(
        default=7 * 24 * 3600,
        metadata={"doc": "A guest basket untouched this long (simulated seconds) expires."},
    )
    max_guest_baskets: int = field(
        default=50_000,
        metadata={"doc": "Most guest baskets kept; past it, making one forgets the one untouched longest."},
    )
    checkout_ttl_seconds: int = field(
        default=24 * 3600,
        metadata={"doc": "A checkout untouched this long (simulated seconds) is forgotten: open, its id answers 404; completed, "
                         "its order stays. Keep it at least the Idempotency-Key lifetime (24 h), so a retried order finds it."},
    )
    promotions_file: str = field(
        default="",
        metadata={"doc": "JSON file of promotion rules to load instead of simulator/seed/promotions.json."},
    )
    order_seconds_to_paid: int = field(default=60, metadata={"doc": "Simulated seconds from placed to paid (card and PayPal orders)."})
    order_seconds_to_processing: int = field(default=1800, metadata={"doc": "Simulated seconds from paid (or placed, cash on delivery) to processing."})
    order_seconds_to_shipped: int = field(default=86400, metadata={"doc": "Simulated seconds from processing to shipped."})
    order_seconds_to_delivered: int = field(default=172800, metadata={"doc": "Simulated seconds from shipped to delivered."})
    bank_transfer_timeout_seconds: int = field(
        default=7 * 24 * 3600,
        metadata={"doc": "An order awaiting a bank transfer is cancelled after this many simulated seconds."},
    )
    admin_token: str = field(default="", metadata={"doc": "When set, every /_sim call needs `Authorization: Bearer <token>`."})
    allow_public_without_token: bool = field(
        default=False,
        metadata={"doc": "Serve on a non-loopback host without an admin token (refused otherwise)."},
    )
    public_url: str = field(
        default="",
        metadata={"doc": "Base URL used in links the simulator hands out (image URLs); defaults to http://HOST:PORT."},
    )
    storefront_url: str = field(
        default="",
        metadata={"doc": "Base URL of the storefront that links in mails point at (`/account`, `/account/reset-password?token=…`). "
                         "Empty: the simulator's own small account pages."},
    )
    store: str = field(
        default="memory",
        metadata={"doc": (
            "Where the shop's state lives: `memory` (one worker process) or a Redis URL `redis://HOST:PORT/DB`, "
            "shared by every worker on every host and kept across restarts (docs/scale-out.md)."
        )},
    )
    workers: int = field(
        default=1,
        metadata={"doc": "Server worker processes. More than 1 needs SIM_STORE=redis://…: each process would hold its own in-memory store."},
    )
    worker_connections: int = field(default=1000, metadata={"doc": "Concurrent connections per worker (gevent)."})
    offload_threads: int = field(
        default=offload.AUTO,
        metadata={"doc": "Native threads per worker that hash passwords beside the event loop; 0: one fewer than the machine's cores (at least 1), leaving a core to the event loop."},
    )
    max_delayed_requests: int | None = field(
        default=None,
        metadata={"doc": "Most requests one worker holds at once for injected latency or a timeout fault; past it such a request "
                         "answers 503 SIMULATION_BUSY at once, with Retry-After. Unset: half of SIM_WORKER_CONNECTIONS, so normal "
                         "traffic always finds a connection."},
    )
    log_level: str = field(default="info", metadata={"doc": "Server log level (debug, info, warning, error)."})
    config: str = field(default="", metadata={"doc": "Path of a TOML file with any of these settings (lower case keys)."})
    fault_seed: int | None = field(
        default=None,
        metadata={"doc": "Seed of latency samples and fault decisions: the same requests in the same order meet the same delays and faults. Unset: unpredictable."},
    )
    allowed_hosts: str = field(
        default="",
        metadata={"doc": "Host names (comma separated) a request's Host header may name besides loopback ones, e.g. a load balancer's name. While bound to loopback, other names answer 421 (a guard against DNS rebinding)."},
    )
    header_controls: bool = field(
        default=True,
        metadata={"doc": "Honour the X-Sim-Latency and X-Sim-Fault request headers. With an admin token set they also need it in X-Sim-Token; off: they answer 403."},
    )
    cors_origins: str = field(
        default="*",
        metadata={"doc": "Origins whose browser scripts may call /api/v1 and /media: `*` for any, a comma-separated list (`http://localhost:3000`), or empty for none. /_sim never answers CORS."},
    )
    webhook_allowed_hosts: str = field(
        default="",
        metadata={"doc": "Hosts webhook URLs may name besides loopback (comma separated names or CIDR networks; `*` for any). Empty: this machine only."},
    )
    webhook_max_attempts: int = field(
        default=6,
        metadata={"doc": "Attempts of one webhook delivery before it is marked failed."},
    )
    webhook_retry_base_seconds: float = field(
        default=10.0,
        metadata={"doc": "Wait (simulated seconds) before the first retry of a webhook delivery; it doubles with each retry."},
    )
    webhook_connect_timeout_seconds: float = field(
        default=3.0,
        metadata={"doc": "Connect timeout (real seconds) of a webhook delivery attempt."},
    )
    webhook_read_timeout_seconds: float = field(
        default=10.0,
        metadata={"doc": "Read timeout (real seconds) of a webhook delivery attempt: a receiver that hangs longer fails it."},
    )
    webhook_attempt_deadline_seconds: float = field(
        default=15.0,
        metadata={"doc": "Most real seconds one webhook delivery attempt may take in all (connect, send, answer): a receiver "
                         "that trickles its answer fails it."},
    )
    #: The [latency] and [faults] sections of the config file (or create_app arguments),
    #: normalized: see simulator/simulation/config.py. Not an environment variable.
    simulation: dict = field(
        default_factory=lambda: simconfig.normalize({}),
        hash=False,
        metadata={"doc": "Latency and fault config: the [latency] and [faults] sections of the config file.", "section": True},
    )

    @property
    def delayed_request_slots(self) -> int:
        """How many requests one worker may hold for latency or a timeout fault at once."""
        return self.max_delayed_requests if self.max_delayed_requests is not None else max(1, self.worker_connections // 2)

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def storefront_base_url(self) -> str:
        """Where links in mails go: the storefront, or the simulator's own account pages."""
        return (self.storefront_url or self.base_url).rstrip("/")

    def replace(self, **changes: Any) -> Settings:
        """A copy with some settings changed, each checked as any other source is.

        `latency=` / `faults=` replace that section of the simulation config.
        """
        values = _from_mapping(changes, "arguments")
        sections = values.pop(_SECTIONS, None)
        if sections:
            values["simulation"] = _simulation({**self.simulation, **sections}, "arguments")
        return dataclasses.replace(self, **values)


ENV_PREFIX = "SIM_"
#: Settings with a SIM_* variable and a flat key; `simulation` comes from sections instead.
_FIELDS = {f.name: f for f in fields(Settings) if not f.metadata.get("section")}
_SECTIONS = "_sections"  # key under which _from_mapping hands over raw [latency] / [faults]
_LIMITS = {
    "products": (0, 2_000_000), "port": (0, 65535), "workers": (1, 64), "worker_connections": (1, 100_000), "offload_threads": (0, 256),
    "max_delayed_requests": (1, 100_000),
    "customers": (0, 1_000_000), "max_line_quantity": (1, 10_000), "order_seconds_to_paid": (0, 10**8), "order_seconds_to_processing": (0, 10**8),
    "order_seconds_to_shipped": (0, 10**8), "order_seconds_to_delivered": (0, 10**8), "bank_transfer_timeout_seconds": (0, 10**8), "guest_basket_ttl_seconds": (60, 366 * 24 * 3600), "token_ttl_seconds": (60, 366 * 24 * 3600),
    "reset_token_ttl_seconds": (60, 30 * 24 * 3600), "max_addresses": (1, 1000), "max_guest_baskets": (1, 10_000_000),
    "checkout_ttl_seconds": (60, 366 * 24 * 3600),
    "login_failures_per_address": (1, 1_000_000), "max_login_failure_records": (1, 10_000_000),
    "registrations_per_address": (1, 10_000_000),
    "fault_seed": (0, 2**63 - 1), "webhook_max_attempts": (1, 20), "webhook_retry_base_seconds": (0.001, 86400),
    "webhook_connect_timeout_seconds": (0.05, 60), "webhook_read_timeout_seconds": (0.05, 300),
    "webhook_attempt_deadline_seconds": (0.1, 600),
}
#: Checks of string settings beyond their type: raise ValueError saying what is wrong.
def _check_store(text: str) -> None:
    if text != "memory" and not text.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError(f"must be `memory` or a Redis URL such as redis://127.0.0.1:6379/0, got {text!r}")


_VALIDATORS = {
    "webhook_allowed_hosts": parse_allowed_hosts, "cors_origins": parse_origins, "allowed_hosts": parse_host_names, "store": _check_store,
}
_CHOICES = {"password_hash_profile": ("secure", "fast")}


def _coerce(name: str, raw: Any) -> Any:
    kind = _FIELDS[name].type
    if kind == "int | None":
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        kind = "int"
    try:
        if kind == "bool":
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(raw)
        if kind == "int":
            if isinstance(raw, bool):
                raise ValueError(raw)
            value = int(str(raw).replace("_", ""))
        elif kind == "float":
            value = float(raw)
            if value != value or value in (float("inf"), float("-inf")):
                raise ValueError(raw)
        else:
            text = str(raw)
            if name in _VALIDATORS:
                try:
                    _VALIDATORS[name](text)
                except ValueError as error:
                    raise SettingsError(f"setting {name!r}: {error}") from None
            if text in _CHOICES.get(name, (text,)):
                return text
            raise SettingsError(f"setting {name!r} must be one of {', '.join(_CHOICES[name])}, got {raw!r}")
    except SettingsError:
        raise
    except (TypeError, ValueError):
        raise SettingsError(f"setting {name!r} must be a {kind}, got {raw!r}") from None
    low, high = _LIMITS.get(name, (0, None))
    if value < low or (high is not None and value > high):
        raise SettingsError(f"setting {name!r} must be between {low} and {high if high is not None else 'any'}, got {raw!r}")
    return value


def _from_mapping(values: Mapping[str, Any], origin: str) -> dict[str, Any]:
    """Flat settings, coerced; the raw [latency] / [faults] sections (checked) under _SECTIONS."""
    sections = {name: values[name] for name in simconfig.SECTIONS if name in values}
    flat = {name: raw for name, raw in values.items() if name not in simconfig.SECTIONS}
    unknown = sorted(set(flat) - set(_FIELDS))
    if unknown:
        raise SettingsError(f"unknown setting(s) in {origin}: {', '.join(unknown)}")
    coerced = {name: _coerce(name, raw) for name, raw in flat.items()}
    if sections:
        _simulation(sections, origin)  # refused here, naming where it came from
        coerced[_SECTIONS] = sections
    return coerced


def _simulation(sections: Mapping[str, Any], origin: str) -> dict[str, Any]:
    """The [latency] / [faults] sections, validated and complete."""
    try:
        return simconfig.normalize(sections)
    except ConfigError as error:
        problems = "; ".join(f"{path}: {message}" for path, message in error.errors.items())
        raise SettingsError(f"invalid simulation config in {origin}: {problems}") from None


def _from_environ(environ: Mapping[str, str]) -> dict[str, Any]:
    return {
        name: _coerce(name, environ[ENV_PREFIX + name.upper()])
        for name in _FIELDS
        if ENV_PREFIX + name.upper() in environ
    }


def _from_file(path: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            return _from_mapping(tomllib.load(handle), path)
    except OSError as exc:
        raise SettingsError(f"cannot read config file {path!r}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"config file {path!r} is not valid TOML: {exc}") from None


def load_settings(
    base: Settings | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Defaults (or `base`) < the TOML file named by `config` < SIM_* env < `overrides`."""
    environ = os.environ if environ is None else environ
    overrides = _from_mapping(overrides or {}, "arguments")
    from_env = _from_environ(environ)
    config_path = overrides.get("config", from_env.get("config", base.config if base else ""))
    layered: dict[str, Any] = {}
    from_file = _from_file(config_path) if config_path else {}
    # A section given by a later source replaces that section of an earlier one.
    sections = {**from_file.pop(_SECTIONS, {}), **overrides.pop(_SECTIONS, {})}
    layered.update(from_file)
    layered.update(from_env)
    layered.update(overrides)
    if sections:
        base_sections = base.simulation if base else {}
        layered["simulation"] = _simulation({**base_sections, **sections}, "the config")
    return dataclasses.replace(base or Settings(), **layered)


def check_serving(settings: Settings) -> None:
    """Settings that only make sense together when serving; raises SettingsError saying what to do."""
    if settings.workers > 1 and settings.store == "memory":
        raise SettingsError(
            f"SIM_WORKERS={settings.workers} needs a shared store: with SIM_STORE=memory each worker process would "
            "hold its own catalog, baskets and orders, and requests would see whichever worker they reached. "
            "Start Redis (`make redis`) and set SIM_STORE=redis://127.0.0.1:6379/0, or keep SIM_WORKERS=1."
        )


def settings_table() -> list[tuple[str, str, Any, str]]:
    """(environment variable, type, default, description) for every setting."""
    return [
        (ENV_PREFIX + f.name.upper(), f.type.replace(" | None", " (optional)"), f.default, f.metadata["doc"])
        for f in fields(Settings)
        if f.name in _FIELDS
    ]

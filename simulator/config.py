"""One Settings object, layered: defaults < config file < SIM_* environment < arguments.

Every field here is a setting a user can change; the README's settings table lists
them all (a test keeps the two in step).
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field, fields
from typing import Any, Mapping


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names it."""


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
    max_line_quantity: int = field(default=99, metadata={"doc": "Most units of one product a basket line may hold."})
    guest_basket_ttl_seconds: int = field(
        default=7 * 24 * 3600,
        metadata={"doc": "A guest basket untouched this long (simulated seconds) expires."},
    )
    promotions_file: str = field(
        default="",
        metadata={"doc": "JSON file of promotion rules to load instead of seed_data/promotions.json."},
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
    workers: int = field(
        default=1,
        metadata={"doc": "Server worker processes. Keep 1: each process would hold its own in-memory store."},
    )
    worker_connections: int = field(default=1000, metadata={"doc": "Concurrent connections per worker (gevent)."})
    log_level: str = field(default="info", metadata={"doc": "Server log level (debug, info, warning, error)."})
    config: str = field(default="", metadata={"doc": "Path of a TOML file with any of these settings (lower case keys)."})

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    def replace(self, **changes: Any) -> "Settings":
        """A copy with some settings changed, each checked as any other source is."""
        return dataclasses.replace(self, **_from_mapping(changes, "arguments"))


ENV_PREFIX = "SIM_"
_FIELDS = {f.name: f for f in fields(Settings)}
_LIMITS = {
    "products": (0, 2_000_000), "port": (0, 65535), "workers": (1, 64), "worker_connections": (1, 100_000),
    "customers": (0, 1_000_000), "max_line_quantity": (1, 10_000), "order_seconds_to_paid": (0, 10**8), "order_seconds_to_processing": (0, 10**8),
    "order_seconds_to_shipped": (0, 10**8), "order_seconds_to_delivered": (0, 10**8), "bank_transfer_timeout_seconds": (0, 10**8), "guest_basket_ttl_seconds": (60, 366 * 24 * 3600), "token_ttl_seconds": (60, 366 * 24 * 3600),
    "reset_token_ttl_seconds": (60, 30 * 24 * 3600), "max_addresses": (1, 1000),
}
_CHOICES = {"password_hash_profile": ("secure", "fast")}


def _coerce(name: str, raw: Any) -> Any:
    kind = _FIELDS[name].type
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
    unknown = sorted(set(values) - set(_FIELDS))
    if unknown:
        raise SettingsError(f"unknown setting(s) in {origin}: {', '.join(unknown)}")
    return {name: _coerce(name, raw) for name, raw in values.items()}


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
    if config_path:
        layered.update(_from_file(config_path))
    layered.update(from_env)
    layered.update(overrides)
    return dataclasses.replace(base or Settings(), **layered)


def settings_table() -> list[tuple[str, str, Any, str]]:
    """(environment variable, type, default, description) for every setting."""
    return [
        (ENV_PREFIX + f.name.upper(), f.type, f.default, f.metadata["doc"])
        for f in fields(Settings)
    ]

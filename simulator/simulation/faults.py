"""Faults: HTTP failures injected around the routes, and the rates of domain faults.

Plain Python (no Flask). Per endpoint group a `FaultRule` gives the rate of each
HTTP fault; `decide` draws once from the group's random stream and picks at most
one fault. `X-Sim-Fault` asks for one fault on one request (`parse_fault_header`).

Domain faults (`simulator.domain_faults`) are rules a service applies at a configured
rate: a card payment is declined, a product sells out between basket and order, a
price changes at checkout. Their rates are checked here (`check_domain`);
`X-Sim-Fault: card_declined` names one to force for one request.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from simulator.domain_faults import NAMES as DOMAIN_FAULTS
from simulator.errors import ConfigError

from .latency import format_ms, parse_duration

ERROR_STATUSES = (429, 500, 502, 503, 504)
TIMEOUT_ACTIONS = ("504", "drop")
MAX_TIMEOUT_SECONDS = 300.0
MAX_RETRY_AFTER_SECONDS = 3600
MAX_HEADER_LENGTH = 64


@dataclass(frozen=True)
class FaultRule:
    """What may go wrong on one endpoint group; the rates add up to at most 1."""

    error_rate: float = 0.0
    error_status: int = 503
    retry_after_seconds: int = 1
    timeout_rate: float = 0.0
    timeout_seconds: float = 30.0
    timeout_action: str = "504"
    drop_rate: float = 0.0
    truncate_rate: float = 0.0

    @property
    def active(self) -> bool:
        return bool(self.error_rate or self.timeout_rate or self.drop_rate or self.truncate_rate)

    def decide(self, rng) -> Fault | None:
        """At most one fault for one request: one draw, only when some rate is above 0."""
        if not self.active:
            return None
        draw = rng.random()
        for fault, rate in (
            (Fault("error", self.error_status), self.error_rate),
            (Fault("timeout"), self.timeout_rate),
            (Fault("reset"), self.drop_rate),
            (Fault("truncate"), self.truncate_rate),
        ):
            if draw < rate:
                return fault
            draw -= rate
        return None

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


RULE_FIELDS = tuple(f.name for f in fields(FaultRule))
RATE_FIELDS = ("error_rate", "timeout_rate", "drop_rate", "truncate_rate")


@dataclass(frozen=True)
class Fault:
    """One injected fault: `error` (with its status), `timeout`, `reset` or `truncate`."""

    kind: str
    status: int | None = None

    @property
    def label(self) -> str:
        """The value of the X-Sim-Injected header."""
        return str(self.status) if self.kind == "error" else self.kind


def _rate(raw: Any, path: str, errors: dict[str, str]) -> float | None:
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not math.isfinite(raw) or not 0 <= raw <= 1:
        errors[path] = "must be a number between 0 and 1"
        return None
    return float(raw)


def check_rule_fields(raw: Any, path: str) -> dict[str, Any]:
    """Validate some fields of a fault rule (a partial table); returns them normalised."""
    if not isinstance(raw, Mapping):
        raise ConfigError({path: "must be a table of fault settings"})
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    for name, value in raw.items():
        where = f"{path}.{name}"
        if name in RATE_FIELDS:
            out[name] = _rate(value, where, errors)
        elif name == "error_status":
            if not isinstance(value, int) or isinstance(value, bool) or value not in ERROR_STATUSES:
                errors[where] = f"must be one of {', '.join(map(str, ERROR_STATUSES))}"
            out[name] = value
        elif name == "retry_after_seconds":
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_RETRY_AFTER_SECONDS:
                errors[where] = f"must be a whole number of seconds between 0 and {MAX_RETRY_AFTER_SECONDS}"
            out[name] = value
        elif name == "timeout_seconds":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                    or not 0 <= value <= MAX_TIMEOUT_SECONDS:
                errors[where] = f"must be a number of seconds between 0 and {MAX_TIMEOUT_SECONDS:g}"
            else:
                out[name] = float(value)
        elif name == "timeout_action":
            text = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else None
            if text not in TIMEOUT_ACTIONS:
                errors[where] = "must be \"504\" (answer 504 after the wait) or \"drop\" (close the connection)"
            out[name] = text
        else:
            errors[where] = f"unknown fault setting (settings: {', '.join(RULE_FIELDS)})"
    if errors:
        raise ConfigError(errors)
    return out


def build_rule(default: Mapping[str, Any], override: Mapping[str, Any], path: str) -> FaultRule:
    """The rule of a group: the default fields with the group's own over them."""
    rule = FaultRule(**{**default, **override})
    if sum(getattr(rule, name) for name in RATE_FIELDS) > 1 + 1e-9:
        raise ConfigError({path: "error_rate + timeout_rate + drop_rate + truncate_rate must not exceed 1"})
    return rule


def check_domain(raw: Any, path: str) -> dict[str, float]:
    if not isinstance(raw, Mapping):
        raise ConfigError({path: "must be a table of domain fault rates"})
    errors: dict[str, str] = {}
    out: dict[str, float] = {}
    for name, value in raw.items():
        if name not in DOMAIN_FAULTS:
            errors[f"{path}.{name}"] = f"unknown domain fault (faults: {', '.join(DOMAIN_FAULTS)})"
            continue
        rate = _rate(value, f"{path}.{name}", errors)
        if rate is not None:
            out[name] = rate
    if errors:
        raise ConfigError(errors)
    return out


# -- per-request header --------------------------------------------------------------
@dataclass(frozen=True)
class FaultRequest:
    """What `X-Sim-Fault` asked for: an HTTP fault, or a domain fault to force."""

    fault: Fault | None = None
    domain: str | None = None
    timeout_seconds: float | None = None  # `timeout=2s`: this wait instead of the group's


def header_values() -> str:
    return ", ".join([*map(str, ERROR_STATUSES), "timeout", "timeout=<duration>", "reset", "drop", "truncate", *DOMAIN_FAULTS])


def parse_fault_header(raw: str) -> FaultRequest:
    """Parse `X-Sim-Fault`. Raises ValueError with a message fit for the caller."""
    text = raw.strip().lower()
    if not text or len(raw) > MAX_HEADER_LENGTH:
        raise ValueError(f"must be one of {header_values()}")
    if text.isascii() and text.isdigit() and int(text) in ERROR_STATUSES:
        return FaultRequest(Fault("error", int(text)))
    if text in ("reset", "drop"):
        return FaultRequest(Fault("reset"))
    if text == "truncate":
        return FaultRequest(Fault("truncate"))
    if text == "timeout":
        return FaultRequest(Fault("timeout"))
    if text.startswith("timeout="):
        try:
            wait_ms = parse_duration(text.partition("=")[2], MAX_TIMEOUT_SECONDS * 1000)
        except ValueError as error:
            raise ValueError(f"timeout=<duration>: {error} (at most {format_ms(MAX_TIMEOUT_SECONDS * 1000)})") from None
        return FaultRequest(Fault("timeout"), timeout_seconds=wait_ms / 1000)
    if text in DOMAIN_FAULTS:
        return FaultRequest(domain=text)
    raise ValueError(f"must be one of {header_values()}")

"""The simulation config: latency and faults, per endpoint group. Plain Python.

One shape everywhere: the `[latency]` and `[faults]` sections of the SIM_CONFIG
TOML file, `create_app({"latency": …, "faults": …})`, and the JSON of
`GET/PATCH /_sim/config`:

    latency.default             the profile of every group without its own
    latency.groups.<group>      a group's own profile
    latency.profiles.<name>     named profiles, for `X-Sim-Latency: <name>`
    faults.default              fault settings of every group
    faults.groups.<group>       a group's own settings, field by field over the default
    faults.domain.<fault>       the rate of a domain fault (card_declined, sold_out, price_changed)

A profile is a table (`{profile = "lognormal", p50_ms = 80, p95_ms = 400}`) or a
duration (`"100ms"`) for a fixed delay. `normalize` validates a raw config and fills
in the defaults; `compile` turns it into what a request needs; `merge_patch` applies
a PATCH (RFC 7396: objects merge, null removes; a latency profile is replaced whole).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from simulator.errors import ConfigError
from simulator.simulation import faults as fault_rules

from .groups import GROUPS
from .latency import NONE, Profile, parse_profile

SECTIONS = ("latency", "faults")
PROFILE_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
MAX_PROFILES = 50
_LATENCY_KEYS = ("default", "groups", "profiles")
_FAULT_KEYS = ("default", "groups", "domain")


def _table(raw: Any, path: str, keys: tuple[str, ...], hint: str = "") -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ConfigError({path: "must be a table"})
    unknown = [str(key) for key in raw if key not in keys]
    if unknown:
        raise ConfigError({f"{path}.{key}": f"unknown key (keys: {', '.join(keys)}){hint}" for key in unknown})
    return dict(raw)


def _groups(raw: Any, path: str) -> dict[str, Any]:
    return _table(raw, path, GROUPS, " (an unknown endpoint group)")


def normalize(raw: Mapping[str, Any] | None) -> dict[str, Any]:
    """A complete, validated simulation config from a partial one. Raises ConfigError."""
    raw = raw or {}
    top = _table(raw, "simulation", SECTIONS)
    errors: dict[str, str] = {}

    def collect(action):
        try:
            return action()
        except ConfigError as error:
            errors.update(error.errors)
            return None

    hint = " — the global profile goes under latency.default"
    latency = collect(lambda: _table(top.get("latency"), "latency", _LATENCY_KEYS, hint)) or {}
    default_profile = collect(lambda: parse_profile(latency["default"], "latency.default")) if "default" in latency else NONE
    group_profiles = {}
    for group, value in (collect(lambda: _groups(latency.get("groups"), "latency.groups")) or {}).items():
        group_profiles[group] = collect(lambda: parse_profile(value, f"latency.groups.{group}"))
    named = {}
    given = latency.get("profiles")
    profiles_raw = collect(lambda: _table(given, "latency.profiles", tuple(given) if isinstance(given, Mapping) else ()))
    for name, value in (profiles_raw or {}).items():
        if not isinstance(name, str) or not PROFILE_NAME.match(name):
            errors[f"latency.profiles.{name}"] = "a profile name is a lower-case word (a-z, 0-9, - and _, at most 32)"
            continue
        named[name] = collect(lambda: parse_profile(value, f"latency.profiles.{name}"))
    if len(named) > MAX_PROFILES:
        errors["latency.profiles"] = f"at most {MAX_PROFILES} named profiles"

    hint = " — fault settings of every group go under faults.default"
    faults = collect(lambda: _table(top.get("faults"), "faults", _FAULT_KEYS, hint)) or {}
    default_fields = collect(lambda: fault_rules.check_rule_fields(faults.get("default", {}), "faults.default")) or {}
    group_fields = {}
    for group, value in (collect(lambda: _groups(faults.get("groups"), "faults.groups")) or {}).items():
        group_fields[group] = collect(lambda: fault_rules.check_rule_fields(value, f"faults.groups.{group}")) or {}
    domain = collect(lambda: fault_rules.check_domain(faults.get("domain", {}), "faults.domain")) or {}
    if not errors:
        default_rule = collect(lambda: fault_rules.build_rule(default_fields, {}, "faults.default"))
        for group, fields in group_fields.items() if default_rule is not None else ():
            collect(lambda: fault_rules.build_rule(default_rule.to_dict(), fields, f"faults.groups.{group}"))
    if errors:
        raise ConfigError(errors)
    return {
        "latency": {
            "default": default_profile.to_dict(),
            "groups": {group: profile.to_dict() for group, profile in group_profiles.items()},
            "profiles": {name: profile.to_dict() for name, profile in named.items()},
        },
        "faults": {
            "default": default_rule.to_dict(),
            "groups": group_fields,
            "domain": {kind: domain.get(kind, 0.0) for kind in fault_rules.DOMAIN_FAULTS},
        },
    }


def _replaced_whole(path: tuple[str, ...]) -> bool:
    if len(path) >= 4:
        return True  # nothing in the config nests deeper: a deeper object is a value (and refused)
    if path[:1] == ("latency",):
        return path[1:] == ("default",) or (len(path) == 3 and path[1] in ("groups", "profiles"))
    return False


def merge_patch(target: Any, patch: Any, path: tuple[str, ...] = ()) -> Any:
    """RFC 7396 merge patch, except that a latency profile in the patch replaces the old one whole."""
    if not isinstance(patch, Mapping) or (path and _replaced_whole(path)):
        return patch
    result = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value, (*path, str(key)))
    return result


@dataclass(frozen=True)
class Compiled:
    """The config as a request uses it: one profile and one fault rule per group."""

    latency: dict[str, Profile]
    named: dict[str, Profile]
    faults: dict[str, fault_rules.FaultRule]
    domain: dict[str, float]
    idle_groups: frozenset[str] = frozenset()  # no latency and no fault configured

    def idle(self, group: str) -> bool:
        return group in self.idle_groups


def compile(config: Mapping[str, Any]) -> Compiled:
    """From a normalized config (as `normalize` returns)."""
    latency, faults = config["latency"], config["faults"]
    default_profile = parse_profile(latency["default"], "latency.default")
    default_rule = faults["default"]
    profiles = {
        group: parse_profile(latency["groups"][group], f"latency.groups.{group}") if group in latency["groups"] else default_profile
        for group in GROUPS
    }
    rules = {
        group: fault_rules.build_rule(default_rule, faults["groups"].get(group, {}), f"faults.groups.{group}")
        for group in GROUPS
    }
    return Compiled(
        latency=profiles,
        named={name: parse_profile(value, f"latency.profiles.{name}") for name, value in latency["profiles"].items()},
        faults=rules,
        domain=dict(faults["domain"]),
        idle_groups=frozenset(g for g in GROUPS if profiles[g].kind == "none" and not rules[g].active),
    )


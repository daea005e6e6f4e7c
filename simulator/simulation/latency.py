"""Latency profiles: how long the simulator waits before it answers.

Plain Python (no Flask). A profile is parsed from a config mapping (the TOML file,
`PATCH /_sim/config`) or from a duration (`"250ms"`, `"1.5s"`, `250`), samples a
delay in milliseconds from a random stream, and knows its own percentiles so that
`GET /_sim/stats` can show the target beside what was measured.

    {"profile": "none"}
    {"profile": "fixed", "ms": 100}
    {"profile": "uniform", "min_ms": 50, "max_ms": 150}
    {"profile": "normal", "mean_ms": 100, "stddev_ms": 20}
    {"profile": "lognormal", "p50_ms": 80, "p95_ms": 400}      # or p50_ms + p99_ms

Every profile takes `cap_ms` (default and most: MAX_LATENCY_MS): no sample exceeds it.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

from simulator.errors import ConfigError

#: No injected delay is longer than this: a config or a header cannot park a request for ever.
MAX_LATENCY_MS = 60_000.0
#: z-scores of the percentiles a log-normal profile is given by.
Z = {"p95_ms": NormalDist().inv_cdf(0.95), "p99_ms": NormalDist().inv_cdf(0.99)}
_DURATION = re.compile(r"^\s*(\d{1,9}(?:\.\d{1,6})?)\s*(ms|s)?\s*$", re.IGNORECASE)


def parse_duration(text: str, limit_ms: float = MAX_LATENCY_MS) -> float:
    """`"250ms"`, `"1.5s"` or `"250"` (milliseconds) → milliseconds. Raises ValueError saying why."""
    match = _DURATION.match(text) if isinstance(text, str) and len(text) <= 32 else None
    if match is None:
        raise ValueError("a duration such as 250ms, 1.5s or 250 (milliseconds)")
    value = float(match.group(1)) * (1000.0 if (match.group(2) or "ms").lower() == "s" else 1.0)
    if value > limit_ms:
        raise ValueError(f"at most {format_ms(limit_ms)}")
    return value


def format_ms(value: float) -> str:
    return f"{value / 1000:g}s" if value >= 1000 else f"{value:g}ms"


@dataclass(frozen=True)
class Profile:
    kind: str
    params: tuple[tuple[str, float], ...]
    cap_ms: float = MAX_LATENCY_MS

    # -- sampling ---------------------------------------------------------------
    def sample(self, rng: random.Random) -> float:
        """One delay in milliseconds (0 for `none`), never above the cap. Fixed draws nothing."""
        p = dict(self.params)
        kind = self.kind
        if kind == "none":
            return 0.0
        if kind == "fixed":
            value = p["ms"]
        elif kind == "uniform":
            value = p["min_ms"] + (p["max_ms"] - p["min_ms"]) * rng.random()
        elif kind == "normal":
            value = rng.normalvariate(p["mean_ms"], p["stddev_ms"])
        else:  # lognormal
            # Clamped before exp: a tiny p50 with a wide spread could otherwise overflow.
            value = math.exp(min(rng.normalvariate(p["mu"], p["sigma"]), 700.0))
        return min(max(value, 0.0), self.cap_ms)

    # -- what it promises ---------------------------------------------------------
    def percentile(self, q: float) -> float:
        """The q-quantile (0 < q < 1) of the delays this profile gives, in milliseconds."""
        p = dict(self.params)
        if self.kind == "none":
            return 0.0
        if self.kind == "fixed":
            value = p["ms"]
        elif self.kind == "uniform":
            value = p["min_ms"] + (p["max_ms"] - p["min_ms"]) * q
        elif self.kind == "normal":
            value = p["mean_ms"] + p["stddev_ms"] * NormalDist().inv_cdf(q)
        else:
            value = math.exp(p["mu"] + p["sigma"] * NormalDist().inv_cdf(q))
        return round(min(max(value, 0.0), self.cap_ms), 3)

    def to_dict(self) -> dict[str, Any]:
        """The config form, as `parse_profile` reads it."""
        shown = {name: value for name, value in self.params if name not in ("mu", "sigma")}
        out: dict[str, Any] = {"profile": self.kind, **shown}
        if self.kind != "none" and self.cap_ms != MAX_LATENCY_MS:
            out["cap_ms"] = self.cap_ms
        return out


NONE = Profile("none", ())

#: profile kind → (required fields, optional fields) besides `profile` and `cap_ms`.
KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "none": ((), ()),
    "fixed": (("ms",), ()),
    "uniform": (("min_ms", "max_ms"), ()),
    "normal": (("mean_ms", "stddev_ms"), ()),
    "lognormal": (("p50_ms",), ("p95_ms", "p99_ms")),
}


def fixed(ms: float) -> Profile:
    return NONE if ms <= 0 else Profile("fixed", (("ms", float(ms)),))


def _number(raw: Any, path: str, errors: dict[str, str], low: float = 0.0, high: float = MAX_LATENCY_MS) -> float | None:
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not math.isfinite(raw):
        errors[path] = "must be a number of milliseconds"
        return None
    if not low <= raw <= high:
        errors[path] = f"must be between {low:g} and {high:g}"
        return None
    return float(raw)


def parse_profile(raw: Any, path: str) -> Profile:
    """A profile from its config form, or from a duration string / number (a fixed delay).

    Raises ConfigError naming the offending field by its dotted path.
    """
    if isinstance(raw, str):
        try:
            return fixed(parse_duration(raw))
        except ValueError as error:
            raise ConfigError({path: str(error)}) from None
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        errors: dict[str, str] = {}
        value = _number(raw, path, errors)
        if errors:
            raise ConfigError(errors)
        return fixed(value)
    if not isinstance(raw, Mapping):
        raise ConfigError({path: "must be a profile (a table with `profile`) or a duration such as 100ms"})
    kind = raw.get("profile")
    if not isinstance(kind, str) or kind not in KINDS:
        raise ConfigError({f"{path}.profile": f"must be one of {', '.join(KINDS)}"})
    required, optional = KINDS[kind]
    errors = {}
    allowed = {"profile", "cap_ms", *required, *optional}
    for name in sorted(set(raw) - allowed, key=str):
        errors[f"{path}.{name}"] = f"unknown field for a {kind} profile (fields: {', '.join(sorted(allowed))})"
    values: dict[str, float] = {}
    for name in required:
        if name not in raw:
            errors[f"{path}.{name}"] = f"required by a {kind} profile"
        else:
            value = _number(raw[name], f"{path}.{name}", errors)
            if value is not None:
                values[name] = value
    for name in optional:
        if name in raw:
            value = _number(raw[name], f"{path}.{name}", errors)
            if value is not None:
                values[name] = value
    cap = MAX_LATENCY_MS
    if "cap_ms" in raw:
        cap = _number(raw["cap_ms"], f"{path}.cap_ms", errors) or 0.0
    if not errors:
        _check_kind(kind, values, path, errors)
    if errors:
        raise ConfigError(errors)
    if kind == "lognormal":
        values = _lognormal_params(values)
    return Profile(kind, tuple(values.items()), cap)


def _check_kind(kind: str, values: dict[str, float], path: str, errors: dict[str, str]) -> None:
    if kind == "uniform" and values["min_ms"] > values["max_ms"]:
        errors[f"{path}.min_ms"] = "must not be above max_ms"
    if kind == "lognormal":
        given = [name for name in ("p95_ms", "p99_ms") if name in values]
        if len(given) != 1:
            errors[f"{path}.p95_ms"] = "give exactly one of p95_ms or p99_ms beside p50_ms"
        elif values["p50_ms"] <= 0:
            errors[f"{path}.p50_ms"] = "must be above 0"
        elif values[given[0]] < values["p50_ms"]:
            errors[f"{path}.{given[0]}"] = "must not be below p50_ms"


def _lognormal_params(values: dict[str, float]) -> dict[str, float]:
    (upper_name,) = [name for name in ("p95_ms", "p99_ms") if name in values]
    mu = math.log(values["p50_ms"])
    sigma = (math.log(values[upper_name]) - mu) / Z[upper_name]
    return {"p50_ms": values["p50_ms"], upper_name: values[upper_name], "mu": mu, "sigma": sigma}

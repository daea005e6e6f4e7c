"""/_sim/config and /_sim/stats: the latency and fault config at run time, and what it produced."""

from __future__ import annotations

from datetime import UTC, datetime

from marshmallow import RAISE, Schema, fields

from simulator.clock import rfc3339
from simulator.errors import ConfigError, DomainError
from simulator.http.admin import AdminBlueprint
from simulator.http.blueprints import json_response, runtime
from simulator.schemas import ProblemSchema

from .groups import DESCRIPTIONS, GROUPS
from .state import SimState
from .stats import PERCENTILES

blp = AdminBlueprint("sim_config", __name__, description="Latency and fault injection, and live stats (simulator control).")

_SECTION_DOC = "See docs/simulation.md: `default`, `groups.<group>`, and `profiles.<name>` (latency) or `domain` (faults)."


class SimConfigPatchSchema(Schema):
    class Meta:
        unknown = RAISE

    latency = fields.Dict(allow_none=True, metadata={"description": "Latency profiles. " + _SECTION_DOC,
                                                      "example": {"groups": {"checkout": {"profile": "lognormal", "p50_ms": 120, "p95_ms": 900}}}})
    faults = fields.Dict(allow_none=True, metadata={"description": "Fault settings. " + _SECTION_DOC,
                                                     "example": {"groups": {"basket": {"error_rate": 0.05, "error_status": 503}}}})


class SimConfigSchema(Schema):
    latency = fields.Dict(required=True, metadata={"example": {"default": {"profile": "none"}, "groups": {}, "profiles": {}}})
    faults = fields.Dict(required=True, metadata={"example": {
        "default": {"error_rate": 0.0}, "groups": {"basket": {"error_rate": 0.05, "error_status": 503}}, "domain": {"card_declined": 0.1},
    }})
    groups = fields.Dict(
        required=True,
        keys=fields.String(),
        values=fields.String(),
        metadata={
            "description": "Endpoint groups and the paths they cover.",
            "example": {"basket": "/api/v1/baskets, /api/v1/basket…", "checkout": "/api/v1/checkout…"},
        },
    )
    fault_seed = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "SIM_FAULT_SEED; null: decisions are unpredictable.", "example": 7},
    )


class LatencySummarySchema(Schema):
    """Server-side milliseconds; null until a request was seen."""

    p50 = fields.Float(required=True, allow_none=True, metadata={"example": 4.2})
    p95 = fields.Float(required=True, allow_none=True, metadata={"example": 11.8})
    p99 = fields.Float(required=True, allow_none=True, metadata={"example": 19.5})
    mean = fields.Float(required=True, allow_none=True, metadata={"example": 5.1})
    max = fields.Float(required=True, allow_none=True, metadata={"example": 31.0})
    samples = fields.Integer(required=True, metadata={"example": 120})


class RecentStatsSchema(Schema):
    seconds = fields.Integer(
        required=True,
        metadata={"description": "The window: this many seconds of real time, the current one included.", "example": 10},
    )
    requests = fields.Integer(required=True, metadata={"example": 1})
    errors = fields.Integer(required=True, metadata={"description": "4xx, 5xx and dropped connections.", "example": 0})
    injected = fields.Integer(required=True, metadata={"description": "Faults injected.", "example": 0})
    latency_ms = fields.Nested(LatencySummarySchema, required=True)


class GroupStatsSchema(Schema):
    requests = fields.Integer(required=True, metadata={"example": 120})
    statuses = fields.Dict(
        required=True,
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "Status → count.", "example": {"200": 118, "503": 2}},
    )
    errors = fields.Dict(
        required=True,
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "The error statuses among them.", "example": {"503": 2}},
    )
    injected = fields.Dict(
        required=True,
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "Injected fault kind → count.", "example": {"503": 2}},
    )
    latency_header_overrides = fields.Integer(
        required=True,
        metadata={"description": "Requests whose X-Sim-Latency replaced the profile.", "example": 0},
    )
    latency_ms = fields.Nested(LatencySummarySchema, required=True)
    target_latency_ms = fields.Dict(
        required=True,
        metadata={
            "description": "The configured profile and its p50, p95 and p99.",
            "example": {"profile": {"profile": "none"}, "p50": 0.0, "p95": 0.0, "p99": 0.0},
        },
    )
    faults = fields.Dict(
        required=True,
        metadata={
            "description": "The fault rule in force.",
            "example": {"error_rate": 0.05, "error_status": 503, "retry_after_seconds": 1, "timeout_rate": 0.0, "drop_rate": 0.0},
        },
    )
    recent = fields.Nested(RecentStatsSchema, required=True,
                           metadata={"description": "The same figures over the last `seconds` seconds of real time: latency now."})


class DomainFaultStatsSchema(Schema):
    rate = fields.Float(required=True, metadata={"example": 0.0})
    injected = fields.Integer(required=True, metadata={"example": 0})
    forced_by_header = fields.Integer(required=True, metadata={"example": 0})


class StatsSchema(Schema):
    since = fields.String(required=True, metadata={"description": "When counting began (simulator clock).", "example": "2026-12-01T21:41:54Z"})
    now = fields.String(required=True, metadata={"example": "2026-12-01T21:42:54Z"})
    fault_seed = fields.Integer(required=True, allow_none=True, metadata={"example": 7})
    groups = fields.Dict(required=True, keys=fields.String(), values=fields.Nested(GroupStatsSchema))
    domain_faults = fields.Dict(required=True, keys=fields.String(), values=fields.Nested(DomainFaultStatsSchema))


def _state() -> SimState:
    return runtime().simulation


def _config_answer(state: SimState, config: dict | None = None):
    return json_response({
        **(config or state.config),
        "groups": dict(DESCRIPTIONS),
        "fault_seed": state.fault_seed,
    })


@blp.route("/config", methods=["GET"])
@blp.response(200, SimConfigSchema)
def get_sim_config():
    """The latency and fault config in force, per endpoint group, and the groups' paths."""
    return _config_answer(_state())


@blp.route("/config", methods=["PATCH"])
@blp.arguments(SimConfigPatchSchema)
@blp.response(200, SimConfigSchema)
@blp.alt_response(422, schema=ProblemSchema, description="INVALID_SIM_CONFIG: `errors` names each bad field by its path; nothing changed.")
def patch_sim_config(patch):
    """Change the config (JSON merge patch: objects merge, null removes; a latency profile is replaced whole).

    The result is validated as a whole: a bad value answers 422 and changes nothing.
    `POST /_sim/reset` goes back to the config file's settings."""
    state = _state()
    try:
        config = state.apply_patch(patch)
    except ConfigError as error:
        raise DomainError(422, "INVALID_SIM_CONFIG", "The simulation config has invalid fields; nothing changed.",
                          errors=error.errors) from None
    return _config_answer(state, config)


def _target(profile) -> dict:
    return {"profile": profile.to_dict(), **{name: profile.percentile(q) for name, q in PERCENTILES}}


@blp.route("/stats", methods=["GET"])
@blp.response(200, StatsSchema)
def get_sim_stats():
    """Per endpoint group: requests, statuses (errors apart), injected faults, and the server-side
    latency percentiles beside the configured target's (milliseconds)."""
    sim = runtime()
    state = _state()
    compiled = state.compiled
    stats = state.stats_view()
    groups = {}
    for group in GROUPS:
        groups[group] = {**stats.group_dict(group), "target_latency_ms": _target(compiled.latency[group]),
                         "faults": compiled.faults[group].to_dict()}
    return json_response({
        "since": rfc3339(datetime.fromtimestamp(stats.since, UTC)),
        "now": rfc3339(sim.clock.now()),
        "fault_seed": state.fault_seed,
        "groups": groups,
        "domain_faults": {kind: {"rate": rate, **stats.domain_dict().get(kind, {"injected": 0, "forced_by_header": 0})}
                          for kind, rate in compiled.domain.items()},
    })


@blp.route("/stats", methods=["DELETE"])
@blp.response(204)
def clear_sim_stats():
    """Start counting afresh (the config and the random streams stay as they are)."""
    _state().reset_stats(runtime().clock.timestamp())
    return "", 204

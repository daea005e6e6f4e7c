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
    latency = fields.Dict(required=True)
    faults = fields.Dict(required=True)
    groups = fields.Dict(required=True, keys=fields.String(), values=fields.String(), metadata={"description": "Endpoint groups and the paths they cover."})
    fault_seed = fields.Integer(required=True, allow_none=True, metadata={"description": "SIM_FAULT_SEED; null: decisions are unpredictable."})


class LatencySummarySchema(Schema):
    """Server-side milliseconds; null until a request was seen."""

    p50 = fields.Float(required=True, allow_none=True)
    p95 = fields.Float(required=True, allow_none=True)
    p99 = fields.Float(required=True, allow_none=True)
    mean = fields.Float(required=True, allow_none=True)
    max = fields.Float(required=True, allow_none=True)
    samples = fields.Integer(required=True)


class RecentStatsSchema(Schema):
    seconds = fields.Integer(required=True, metadata={"description": "The window: this many seconds of real time, the current one included."})
    requests = fields.Integer(required=True)
    errors = fields.Integer(required=True, metadata={"description": "4xx, 5xx and dropped connections."})
    injected = fields.Integer(required=True, metadata={"description": "Faults injected."})
    latency_ms = fields.Nested(LatencySummarySchema, required=True)


class GroupStatsSchema(Schema):
    requests = fields.Integer(required=True)
    statuses = fields.Dict(required=True, keys=fields.String(), values=fields.Integer(), metadata={"description": "Status → count."})
    errors = fields.Dict(required=True, keys=fields.String(), values=fields.Integer(), metadata={"description": "The error statuses among them."})
    injected = fields.Dict(required=True, keys=fields.String(), values=fields.Integer(), metadata={"description": "Injected fault kind → count."})
    latency_header_overrides = fields.Integer(required=True, metadata={"description": "Requests whose X-Sim-Latency replaced the profile."})
    latency_ms = fields.Nested(LatencySummarySchema, required=True)
    target_latency_ms = fields.Dict(required=True, metadata={"description": "The configured profile and its p50, p95 and p99."})
    faults = fields.Dict(required=True, metadata={"description": "The fault rule in force."})
    recent = fields.Nested(RecentStatsSchema, required=True,
                           metadata={"description": "The same figures over the last `seconds` seconds of real time: latency now."})


class DomainFaultStatsSchema(Schema):
    rate = fields.Float(required=True)
    injected = fields.Integer(required=True)
    forced_by_header = fields.Integer(required=True)


class StatsSchema(Schema):
    since = fields.String(required=True, metadata={"description": "When counting began (simulator clock)."})
    now = fields.String(required=True)
    fault_seed = fields.Integer(required=True, allow_none=True)
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
def get_config():
    """The latency and fault config in force, per endpoint group, and the groups' paths."""
    return _config_answer(_state())


@blp.route("/config", methods=["PATCH"])
@blp.arguments(SimConfigPatchSchema)
@blp.response(200, SimConfigSchema)
@blp.alt_response(422, schema=ProblemSchema, description="INVALID_SIM_CONFIG: `errors` names each bad field by its path; nothing changed.")
def patch_config(patch):
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
def get_stats():
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
def clear_stats():
    """Start counting afresh (the config and the random streams stay as they are)."""
    _state().reset_stats(runtime().clock.timestamp())
    return "", 204

"""Simulator controls under /_sim: reset, clock, churn."""

from __future__ import annotations

from datetime import timedelta

from simulator import background
from simulator.http.admin import AdminBlueprint
from simulator.http.blueprints import json_response, runtime

from . import churn
from .schemas import (
    ChurnRunResultSchema,
    ChurnRunSchema,
    ChurnSchema,
    ClockActionSchema,
    ClockSchema,
    ResetResultSchema,
    ResetSchema,
)

blp = AdminBlueprint("sim", __name__, description="Simulator controls (not part of the merchant contract): reset, clock, churn.")


@blp.route("/reset", methods=["POST"])
@blp.arguments(ResetSchema(), required=False)
@blp.response(200, ResetResultSchema)
def reset_simulator(args):
    """Back to the seeded state, optionally with another `seed` or number of `products`."""
    sim = runtime()
    sim.reset(args.get("seed"), args.get("products"))
    return json_response({"seed": sim.settings.seed, "products": sim.settings.products})


@blp.route("/clock", methods=["GET"])
@blp.response(200, ClockSchema)
def get_clock():
    """The simulator clock."""
    return json_response(runtime().clock.describe())


@blp.route("/clock", methods=["POST"])
@blp.arguments(ClockActionSchema)
@blp.response(200, ClockSchema)
def change_clock(args):
    """Freeze, resume, set, advance or reset the simulator clock. What the new time makes
    due (catalog churn, order moves and their events) is applied before the answer."""
    sim = runtime()
    clock = sim.clock
    background.apply_due(sim)  # what fell due before the clock moves happens at the old time
    action = args["action"]
    if action == "freeze":
        clock.freeze()
    elif action == "resume":
        clock.resume()
    elif action == "set":
        clock.set(args["to"])
    elif action == "advance":
        clock.advance(timedelta(seconds=args["seconds"]))
    else:
        clock.reset()
    background.apply_due(sim)
    return json_response(clock.describe())


@blp.route("/churn", methods=["GET"])
@blp.response(200, ChurnSchema)
def get_churn():
    """The churn generator's rate and mix."""
    return json_response({"per_minute": runtime().settings.churn_per_minute, "mix": dict(churn.MIX)})


@blp.route("/churn/run", methods=["POST"])
@blp.arguments(ChurnRunSchema)
@blp.response(200, ChurnRunResultSchema)
def run_churn(args):
    """Apply a number of random catalog changes now."""
    sim = runtime()
    return json_response({"applied": churn.apply_changes(sim.store, sim.clock, args["changes"])})

"""The simulation's run-time state: one `SimState` on the Runtime, made afresh on reset.

It holds the config in force (the file's, until `PATCH /_sim/config` changes it),
its compiled form, the random streams of latency and fault decisions, and the live
stats. It is the simulator's own state, not the shop's, so it is not in the store.

With SIM_FAULT_SEED set, every stream is seeded from it and its name (one stream per
endpoint group and purpose, one per domain fault), so the same requests in the same
order meet the same delays and faults, and requests to one group do not shift the
draws of another. Without it, the streams are seeded from the OS.
"""

from __future__ import annotations

import copy
import random
import threading
from collections.abc import Mapping
from typing import Any

from simulator.simulation import config as simconfig

from .stats import Stats


class SimState:
    def __init__(self, config: Mapping[str, Any], fault_seed: int | None, now: float) -> None:
        self._lock = threading.Lock()
        self.fault_seed = fault_seed
        self._rngs: dict[str, random.Random] = {}
        self._current = (copy.deepcopy(dict(config)), simconfig.compile(config))
        self.stats = Stats(now)

    @classmethod
    def from_settings(cls, settings, now: float) -> SimState:
        """A fresh state from the settings' config and fault seed; stats counted from `now`."""
        return cls(settings.simulation or simconfig.normalize({}), settings.fault_seed, now)

    # -- config ---------------------------------------------------------------------
    @property
    def config(self) -> dict[str, Any]:
        return copy.deepcopy(self._current[0])

    @property
    def compiled(self) -> simconfig.Compiled:
        return self._current[1]

    def apply_patch(self, patch: Mapping[str, Any]) -> dict[str, Any]:
        """Merge a patch into the config in force; all or nothing. Raises ConfigError."""
        with self._lock:
            merged = simconfig.merge_patch(self._current[0], patch)
            config = simconfig.normalize(merged)
            self._current = (config, simconfig.compile(config))  # one assignment: readers see old or new
            return copy.deepcopy(config)

    # -- randomness -----------------------------------------------------------------
    def rng(self, stream: str) -> random.Random:
        found = self._rngs.get(stream)
        if found is None:
            with self._lock:
                found = self._rngs.get(stream)
                if found is None:
                    found = random.Random(f"{self.fault_seed}:{stream}") if self.fault_seed is not None else random.Random()
                    self._rngs[stream] = found
        return found

    def draw_domain(self, kind: str) -> bool:
        rate = self.compiled.domain.get(kind, 0.0)
        return rate > 0 and self.rng(f"domain:{kind}").random() < rate

    def decide_domain(self, kind: str, forced: bool) -> bool:
        """The decider of `simulator.domain_faults` for a request: a fault forced by
        X-Sim-Fault hits, else one draw at its configured rate; hits are counted."""
        hit = forced or self.draw_domain(kind)
        if hit:
            self.stats.record_domain(kind, forced)
        return hit

    def reset_stats(self, now: float) -> None:
        self.stats = Stats(now)

    def stats_view(self) -> Stats:
        """The stats to show: this process's (a shared state merges every worker's)."""
        return self.stats


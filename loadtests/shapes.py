"""Load shapes, chosen by name: `--shape-name ramp|spike|soak` (or LOAD_SHAPE, or `shape-name` in a config).

Each shape reads the peak user count from `-u/--users` and its length from
`-t/--run-time` (`use_common_options`), with a default length of its own:

- ramp: users grow linearly from 1 to the peak over the first 70 % of the run, then hold
  (finds the user count where latency bends; default 5 minutes);
- spike: a baseline of a fifth of the peak, then the peak all at once for the middle
  fifth of the run, then the baseline again (does the backend recover? default 3 minutes);
- soak: a quick ramp to the peak, then hold it for the whole run (leaks, slow drifts,
  the feed's retention; default 1 hour).

The classes are `abstract` so that Locust does not pick one on its own when it loads
the locustfile; the locustfile's init hook installs the one named (and offers all three
in the web UI's class picker, `--class-picker`).
"""

from __future__ import annotations

import math

from locust import LoadTestShape

DEFAULT_PEAK_USERS = 20


class NamedShape(LoadTestShape):
    abstract = True
    use_common_options = True
    default_seconds = 300.0

    def options(self):
        runner = self.runner
        return getattr(getattr(runner, "environment", None), "parsed_options", None)

    def peak(self) -> int:
        users = getattr(self.options(), "num_users", None)
        return max(1, int(users or DEFAULT_PEAK_USERS))

    def duration(self) -> float:
        seconds = getattr(self.options(), "run_time", None)
        return float(seconds or self.default_seconds)

    def fast_rate(self) -> float:
        """Spawn the whole peak within about two seconds (never less than 1 user/s)."""
        return max(1.0, self.peak() / 2)

    def profile(self, elapsed: float, duration: float, peak: int) -> tuple[int, float]:
        raise NotImplementedError

    def tick(self):
        elapsed, duration = self.get_run_time(), self.duration()
        if elapsed >= duration:
            return None
        return self.profile(elapsed, duration, self.peak())


class RampShape(NamedShape):
    abstract = True
    default_seconds = 300.0
    ramp_share = 0.7

    def profile(self, elapsed, duration, peak):
        ramp = duration * self.ramp_share
        users = peak if elapsed >= ramp else max(1, math.ceil(peak * elapsed / ramp))
        return users, max(1.0, peak / max(ramp, 1.0) * 2)


class SpikeShape(NamedShape):
    abstract = True
    default_seconds = 180.0

    def profile(self, elapsed, duration, peak):
        baseline = max(1, peak // 5)
        in_spike = 0.4 * duration <= elapsed < 0.6 * duration
        return (peak if in_spike else baseline), self.fast_rate()


class SoakShape(NamedShape):
    abstract = True
    default_seconds = 3600.0

    def profile(self, elapsed, duration, peak):
        return peak, max(1.0, peak / 30)  # reach the peak within about 30 s, then hold it


SHAPES: dict[str, type[NamedShape]] = {"ramp": RampShape, "spike": SpikeShape, "soak": SoakShape}

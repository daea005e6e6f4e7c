"""Stats: the totals since the last reset, and the recent window (last RECENT_SECONDS seconds)."""

from __future__ import annotations

from simulator.simulation.stats import RECENT_SECONDS, Histogram, Stats


class FakeTimer:
    """Real seconds, moved by hand."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_the_recent_window_counts_only_the_last_seconds():
    timer = FakeTimer()
    stats = Stats(0, timer=timer)
    for _ in range(5):
        stats.record("browse", 200, 900.0)
    timer.now += RECENT_SECONDS + 1
    stats.record("browse", 503, 10.0, injected="503")
    stats.record("browse", 200, 12.0)
    browse = stats.group_dict("browse")
    assert browse["requests"] == 7 and browse["latency_ms"]["max"] == 900.0  # the totals keep everything
    recent = browse["recent"]
    assert (recent["seconds"], recent["requests"], recent["errors"], recent["injected"]) == (RECENT_SECONDS, 2, 1, 1)
    assert recent["latency_ms"]["samples"] == 2 and recent["latency_ms"]["max"] == 12.0  # the slow ones left


def test_the_window_holds_the_current_second_and_the_ones_before_it():
    timer = FakeTimer(500.0)
    stats = Stats(0, timer=timer)
    for _ in range(RECENT_SECONDS):
        stats.record("basket", 200, 5.0)
        timer.now += 1
    # The first second has just left the window; the other nine are in it.
    assert stats.group_dict("basket")["recent"]["requests"] == RECENT_SECONDS - 1
    timer.now += RECENT_SECONDS
    assert stats.group_dict("basket")["recent"] == {
        "seconds": RECENT_SECONDS, "requests": 0, "errors": 0, "injected": 0,
        "latency_ms": {"p50": None, "p95": None, "p99": None, "mean": None, "max": None, "samples": 0},
    }


def test_dropped_connections_and_4xx_count_as_recent_errors():
    stats = Stats(0, timer=FakeTimer())
    stats.record("checkout", "dropped", 1.0, injected="reset")
    stats.record("checkout", 409, 1.0)
    stats.record("checkout", 201, 1.0)
    recent = stats.group_dict("checkout")["recent"]
    assert (recent["requests"], recent["errors"], recent["injected"]) == (3, 2, 1)


def test_the_recent_window_stays_bounded_however_long_it_runs():
    timer = FakeTimer()
    stats = Stats(0, timer=timer)
    for second in range(10 * RECENT_SECONDS):
        timer.now = 1000.0 + second
        stats.record("browse", 200, 1.0 + second)
    window = stats.groups["browse"].recent
    assert len(window.slots) == RECENT_SECONDS
    assert sum(slot.requests for slot in window.slots) == RECENT_SECONDS


def test_recent_percentiles_are_those_of_the_merged_seconds():
    timer = FakeTimer()
    stats = Stats(0, timer=timer)
    whole = Histogram()
    for second, latencies in enumerate(([10.0] * 50, [100.0] * 45, [1000.0] * 5)):
        timer.now = 1000.0 + second
        for ms in latencies:
            stats.record("orders", 200, ms)
            whole.add(ms)
    assert stats.group_dict("orders")["recent"]["latency_ms"] == whole.to_dict()

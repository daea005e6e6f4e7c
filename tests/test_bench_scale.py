"""The scale section's capacity ratio (bench/scale.py): how redis-2's and memory's searches
compare, on made-up outcomes. No Locust, no server."""

from __future__ import annotations

import pytest

from bench import load
from bench.http import best_runs, paired_ratios
from bench.report import MISS, PASS, SectionResult
from bench.scale import FULL, capacity_ratio, ratio_row


def found(good: int | None, bad: int | None) -> load.Search:
    """A search that ended with `good` the largest count that held and `bad` the smallest that did not."""
    search = load.Search("http://127.0.0.1:1", FULL, watched=None)
    search.good, search.bad = good, bad
    return search


TOP = FULL["max_users"]


@pytest.mark.parametrize(
    ("memory", "redis", "ratio", "text"),
    [
        ((TOP, None), (TOP, None), 1.0, f">= 1.0 (both at the top, {TOP:,} users"),
        ((800, 1_000), (1_200, 1_400), 1.5, "1.50 (1,200 vs 800 users, each within a quarter)"),
        ((800, 1_000), (TOP, None), 2.0, f">= 2.00 (redis-2 held at {TOP:,} users, its last step)"),
        ((TOP, None), (800, 1_000), 0.5, f"<= 0.50 (memory held at {TOP:,} users, its last step)"),
        ((400, None), (800, None), 2.0, "2.00 (both lower bounds: the searches ran out of time)"),
        ((None, 200), (400, 500), None, "not measured: the memory search held at no step"),
        ((None, 200), (None, 200), None, "not measured: neither search held at any step"),
    ],
)
def test_the_capacity_ratio_says_how_far_it_is_known(memory, redis, ratio, text):
    value, said = capacity_ratio(found(*memory), found(*redis))
    assert value == ratio
    assert said.startswith(text)


def rates(*rps: float) -> list[dict]:
    return [{"rps": value} for value in rps]


def test_a_ratio_to_memory_is_the_median_of_the_rounds_ratios():
    # Round 2 ran while the machine favoured memory: the best runs' ratio takes memory's
    # best (5,000) against redis-1's (3,700) from other rounds; the rounds' median does not.
    runs = {"memory": rates(4_000, 5_000, 4_100), "redis-1": rates(3_600, 3_700, 3_690)}
    section = SectionResult("scale", "test")
    ratio = ratio_row(section, "product read redis-1", runs, "redis-1", best_runs(runs), 0.8)
    assert ratio == pytest.approx(0.9)
    (row,) = section.rows
    assert row.value == "0.90  (median of rounds: 0.90, 0.74, 0.90; best runs: 0.74)"
    assert row.target.value == pytest.approx(0.9) and row.target.verdict == PASS
    ratio_row(section, "basket add redis-1", runs, "redis-1", best_runs(runs), 0.95)
    assert section.rows[-1].target.verdict == MISS


def test_rounds_are_paired_in_order_and_must_match():
    runs = {"memory": rates(100, 200), "redis-1": rates(50, 300)}
    assert paired_ratios(runs, "redis-1", "memory") == [0.5, 1.5]
    with pytest.raises(ValueError):
        paired_ratios({"memory": rates(100, 200), "redis-1": rates(50)}, "redis-1", "memory")
    with pytest.raises(RuntimeError, match="memory served no request"):
        paired_ratios({"memory": rates(100, 0), "redis-1": rates(50, 60)}, "redis-1", "memory")

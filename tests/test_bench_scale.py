"""The scale section's capacity ratio (bench/scale.py): how redis-2's and memory's searches
compare, on made-up outcomes. No Locust, no server."""

from __future__ import annotations

import pytest

from bench import load
from bench.scale import FULL, capacity_ratio


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

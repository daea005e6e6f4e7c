"""Sorted lists of a million keys made without holding the event loop for the whole sort."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sortedcontainers import SortedList

from simulator import offload

#: Keys sorted between two pauses for other requests: a millisecond or a few of work.
KEYS_PER_PAUSE = 4096


def presorted(keys: list) -> SortedList:
    """A SortedList of keys already in order, made without sorting them again: that
    sort, comparing a million keys scattered in memory, was a third of building the
    read model's lists. It fills the fields `SortedList.update` fills (sortedcontainers
    is pinned, and a test checks the lists with `SortedList._check`)."""
    made = SortedList()
    load = made._load
    made._lists = [keys[start : start + load] for start in range(0, len(keys), load)]
    made._maxes = [chunk[-1] for chunk in made._lists]
    made._len = len(keys)
    return made


def sorted_list(keys: Iterable, key: Callable | None = None) -> SortedList:
    """`SortedList(keys)` (with no key of its own: `key` only orders them), sorted a slice at a time."""
    return presorted(offload.cooperative_sorted(list(keys), key, KEYS_PER_PAUSE))

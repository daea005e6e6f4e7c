"""The rule set as readers use it, kept per store until a rule changes.

Pricing wants the rules in running order and by coupon code; the shop's promotions list
wants those in force now, in their display form. Both are the same for every request
until the rule set changes, which every write records in the change log
(`rules.PROMOTION`): a book is kept for one change-log position, and the next read after
a change makes a new one, in this process and in any other that shares the store.

What is in force depends on the time, but only at the rules' own start and end times:
between two of them the rules in force stay the same, so what is made of them (the
display answer) is kept for each such window.
"""

from __future__ import annotations

import weakref
from bisect import bisect_right
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TypeVar

from simulator.store import Store

from .rules import PROMOTION, Promotion

T = TypeVar("T")


class RuleBook:
    """The rule set at one change-log position. Read its members, never change them."""

    def __init__(self, seq: int, rules: Sequence[Promotion]) -> None:
        self.seq = seq
        #: every rule in the order pricing runs them (and a shop shows current offers in)
        self.running: tuple[Promotion, ...] = tuple(sorted(rules, key=lambda p: (-p.priority, p.position)))
        #: the moments at which what is in force changes
        self._moments = sorted({moment for p in self.running for moment in (p.starts_at, p.ends_at) if moment is not None})
        self._made: dict[tuple[Callable, int], object] = {}  # (make, window) → what it made

    def made_in_force(self, make: Callable[[tuple[Promotion, ...]], T], now: datetime) -> T:
        """What `make` makes of the rules in force at `now` (in running order): made once per
        window of time in which they stay the same (see the module docstring)."""
        key = (make, bisect_right(self._moments, now))
        made = self._made.get(key)
        if made is None:
            live = tuple(p for p in self.running if (not p.starts_at or p.starts_at <= now) and (not p.ends_at or now < p.ends_at))
            made = self._made[key] = make(live)
        return made


_books: weakref.WeakKeyDictionary[Store, RuleBook] = weakref.WeakKeyDictionary()


def rule_book(store: Store) -> RuleBook:
    """The store's rule set as it is now: one change-log read when nothing changed."""
    book = _books.get(store)
    if book is not None and book.seq == store.last_seq(PROMOTION):
        return book
    with store.snapshot():  # the position first: the rules read then are at least as new
        seq = store.last_seq(PROMOTION)
        rules = store.values(PROMOTION)
    book = _books[store] = RuleBook(seq, rules)  # two readers may both make one: either serves
    return book

"""simulator/shared/coalesced.py: callers that arrive while a read is in the air share the
next read, never the one in the air (it may have read before they came)."""

from __future__ import annotations

import threading
import time

import pytest

from simulator.shared.coalesced import Coalesced


def test_a_caller_alone_sends_its_own_read():
    reads = []
    check = Coalesced(lambda: reads.append(len(reads)) or len(reads))
    assert [check(), check(), check()] == [1, 2, 3]


def test_callers_arriving_during_a_read_share_the_next_one():
    in_the_air, land = threading.Event(), threading.Event()
    reads: list[int] = []

    def read() -> int:
        reads.append(len(reads))
        if len(reads) == 1:
            in_the_air.set()
            land.wait(10)
        return len(reads)

    check = Coalesced(read)
    answers: dict[str, int] = {}
    first = threading.Thread(target=lambda: answers.__setitem__("first", check()))
    first.start()
    in_the_air.wait(10)
    later = [threading.Thread(target=lambda n=n: answers.__setitem__(f"later {n}", check())) for n in range(5)]
    for thread in later:
        thread.start()
    time.sleep(0.3)  # let them all arrive and queue behind the read in the air
    land.set()
    for thread in (first, *later):
        thread.join(10)
    assert answers["first"] == 1
    assert {answers[f"later {n}"] for n in range(5)} == {2}  # the second read, sent after they came
    assert len(reads) == 2


def test_a_failed_read_fails_its_caller_and_the_next_caller_reads_again():
    outcomes = iter([ConnectionError("redis is down"), b"7"])

    def read():
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    check = Coalesced(read)
    with pytest.raises(ConnectionError):
        check()
    assert check() == b"7"

from datetime import UTC, datetime, timedelta

import pytest

from simulator.clock import Clock, parse_rfc3339, rfc3339


class FakeWall:
    def __init__(self, start: float):
        self.now = start

    def __call__(self) -> float:
        return self.now


def test_running_clock_follows_wall_time_plus_offset():
    wall = FakeWall(1_000_000.0)
    clock = Clock(wall)
    clock.advance(timedelta(hours=1))
    wall.now += 10
    assert clock.timestamp() == 1_000_000.0 + 3600 + 10


def test_frozen_clock_stands_still_until_advanced_then_resumes_from_there():
    wall = FakeWall(1_000_000.0)
    clock = Clock(wall)
    clock.freeze()
    wall.now += 500
    assert clock.timestamp() == 1_000_000.0
    clock.advance(timedelta(days=1))
    assert clock.timestamp() == 1_000_000.0 + 86_400
    clock.resume()
    wall.now += 5
    assert clock.timestamp() == 1_000_000.0 + 86_400 + 5


def test_set_and_reset():
    wall = FakeWall(1_000_000.0)
    clock = Clock(wall)
    target = datetime(2030, 1, 1, tzinfo=UTC)
    clock.set(target)
    assert clock.now() == target
    clock.set(datetime(2030, 1, 2))  # naive means UTC
    assert clock.now() == datetime(2030, 1, 2, tzinfo=UTC)
    clock.reset()
    assert clock.timestamp() == wall.now


def test_clock_never_moves_backwards_by_advance():
    with pytest.raises(ValueError):
        Clock().advance(timedelta(seconds=-1))


def test_rfc3339_round_trip():
    moment = datetime(2026, 11, 29, 18, 45, 9, tzinfo=UTC)
    assert rfc3339(moment) == "2026-11-29T18:45:09Z"
    assert parse_rfc3339("2026-11-29T18:45:09Z") == moment
    assert parse_rfc3339("2026-11-29T19:45:09+01:00") == moment

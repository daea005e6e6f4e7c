"""The record the store tests keep, and a way to run racers at once."""

import threading
from collections.abc import Callable
from dataclasses import dataclass

from simulator.store.codec import Codec


@dataclass(frozen=True, slots=True)
class Thing:
    id: str
    owner_id: str | None = None
    count: int = 0
    version: int = 1


CODEC = Codec({"thing": Thing})


def run_at_once(*targets: Callable[[], object]) -> None:
    """Run each target in a thread of its own, all at once, and wait for them all."""
    threads = [threading.Thread(target=target) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

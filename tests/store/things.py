"""The record the store tests keep."""

from dataclasses import dataclass

from simulator.store.codec import Codec


@dataclass(frozen=True, slots=True)
class Thing:
    id: str
    owner_id: str | None = None
    count: int = 0
    version: int = 1


CODEC = Codec({"thing": Thing})

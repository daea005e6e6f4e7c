"""State: the store interface and its in-memory implementation."""

from .base import Change, ReadAhead, RecordNotFound, Store, StoreUnavailable, VersionConflict
from .memory import InMemoryStore, encode_id

__all__ = ["Change", "InMemoryStore", "ReadAhead", "RecordNotFound", "Store", "StoreUnavailable", "VersionConflict", "encode_id"]

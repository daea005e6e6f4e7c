"""State: the store interface and its in-memory implementation."""

from .base import Change, RecordNotFound, Store, StoreUnavailable, VersionConflict
from .memory import InMemoryStore, encode_id

__all__ = ["Change", "InMemoryStore", "RecordNotFound", "Store", "StoreUnavailable", "VersionConflict", "encode_id"]

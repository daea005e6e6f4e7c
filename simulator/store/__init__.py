"""State: the store interface and its in-memory implementation."""

from .base import Change, RecordNotFound, Store, VersionConflict
from .memory import InMemoryStore, encode_id

__all__ = ["Change", "InMemoryStore", "RecordNotFound", "Store", "VersionConflict", "encode_id"]

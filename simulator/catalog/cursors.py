"""Opaque sync tokens and export cursors.

Both carry the store generation, so a token from before a reset is recognised as
expired rather than silently applied to a different catalog.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from simulator.errors import DomainError


def _encode(*parts: object) -> str:
    return base64.urlsafe_b64encode(".".join(map(str, parts)).encode()).decode().rstrip("=")


def _decode(token: str, field: str, label: str, code: str, count: int) -> list[str]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    parts = raw.split(".", count - 1)
    if len(parts) != count or not parts[1].isdigit() or len(parts[1]) > 18:
        raise DomainError(422, code, f"The {label} is not one this backend issued.", errors={field: "unrecognised value"})
    return parts


def encode_sync_token(generation: str, seq: int) -> str:
    return _encode(generation, seq)


def decode_sync_token(token: str, generation: str) -> int:
    token_generation, seq = _decode(token, "since", "sync token", "INVALID_SYNC_TOKEN", 2)
    if token_generation != generation:
        raise sync_token_expired()
    return int(seq)


def sync_token_expired() -> DomainError:
    return DomainError(
        410,
        "SYNC_TOKEN_EXPIRED",
        "The sync token is older than the retained change history; run a full export again.",
    )


@dataclass(frozen=True)
class ExportCursor:
    start_seq: int  # the sync token of the export: the log position when it began
    after_id: str


def encode_cursor(generation: str, cursor: ExportCursor) -> str:
    return _encode(generation, cursor.start_seq, cursor.after_id)


def decode_cursor(token: str, generation: str) -> ExportCursor:
    token_generation, seq, after_id = _decode(token, "cursor", "export cursor", "INVALID_CURSOR", 3)
    if token_generation != generation:
        raise DomainError(410, "EXPORT_CURSOR_EXPIRED", "The catalog was reset since this export began; start it again.")
    return ExportCursor(int(seq), after_id)

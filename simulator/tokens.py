"""Secret tokens handed to callers (bearer sessions, password resets, guest baskets,
payment redirects): drawn here, and kept only as their digest, by one rule for all.

The store keeps `token_digest(token)` instead of the token, so a copy of the store
never lets anyone act as a caller; the digest is also the record id, so a lookup is
one dict access. A plain SHA-256 suffices: the tokens are random, not guessable
like passwords.
"""

from __future__ import annotations

import hashlib
import secrets

RANDOM_BYTES = 32  # 256 random bits, 43 base64url characters
#: Longer than any token drawn here: such a value is refused before it is even hashed.
MAX_LENGTH = 512


def new_token() -> str:
    """A fresh random token, URL-safe, to hand to the caller once."""
    return secrets.token_urlsafe(RANDOM_BYTES)


def token_digest(raw_token: str) -> str:
    """The SHA-256 hex of a token: what the store keeps instead of the token."""
    return hashlib.sha256(raw_token.encode("utf-8", "surrogatepass")).hexdigest()

"""Password hashing (Argon2id, cost from the `password_hash_profile` setting) and the password policy.

Every hash is salted and self-describing (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`), so a
hash made at one profile still verifies at another. `secure` follows the OWASP
Password Storage Cheat Sheet's Argon2id minimum; `fast` keeps a real salted Argon2id
hash but cheap enough that a load test logging in thousands of times measures the
shop, not the hash.

A `secure` hash takes tens of milliseconds of CPU: `hash_password` and `verify_password`
run it off the event loop (simulator/offload.py), so a login does not stall the other
requests of its worker; Argon2 releases the GIL while it works. A `fast` hash runs where
it is called: handing it to a thread would cost more than it frees.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from argon2 import PasswordHasher, Type, extract_parameters
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.low_level import hash_secret

from simulator.errors import DomainError, validation_error
from simulator.offload import run_blocking

T = TypeVar("T")

MIN_LENGTH = 8
MAX_LENGTH = 256
#: Hashes that cost at least this much work (KiB of memory x passes: about 1 ms of CPU)
#: run on a thread, off the event loop; `secure` costs 38,912, `fast` 64.
OFFLOAD_FROM_WORK = 1024


@dataclass(frozen=True, slots=True)
class HashCost:
    time_cost: int
    memory_kib: int
    parallelism: int

    @property
    def work(self) -> int:
        return self.memory_kib * self.time_cost


PROFILES: dict[str, HashCost] = {
    "secure": HashCost(time_cost=2, memory_kib=19 * 1024, parallelism=1),
    "fast": HashCost(time_cost=1, memory_kib=64, parallelism=1),
}

#: Rejected whatever their length (compared case-insensitively). The usual suspects of
#: breach lists, plus the local favourites of the shop's markets.
COMMON_PASSWORDS = frozenset(
    """
    password password1 password12 password123 passw0rd p@ssw0rd p@ssword 12345678 123456789
    1234567890 0123456789 87654321 11111111 00000000 12341234 11223344 qwertyui qwertyuiop
    qwerty12 qwerty123 qwerty1234 1q2w3e4r 1q2w3e4r5t 1qaz2wsx zaq12wsx q1w2e3r4 asdfghjk
    asdfghjkl zxcvbnm1 abc12345 abcd1234 abcdefgh iloveyou iloveyou1 sunshine princess
    football baseball welcome1 welcome123 letmein1 letmein123 trustno1 superman starwars
    whatever dragon12 monkey12 admin123 administrator changeme computer internet michelle
    jennifer shadow12 master12 secret12 summer2024 summer2025 summer2026 winter2025
    qwertzuiop passwort passwort1 passwort123 hallo123 hallo1234 schatz123 geheim123
    azerty123 azertyuiop motdepasse wachtwoord contrasena contraseña password!
    """.split()
)


def hasher(profile: str) -> PasswordHasher:
    """An Argon2id hasher at the cost of a profile (`secure` or `fast`)."""
    cost = PROFILES[profile]
    return PasswordHasher(
        time_cost=cost.time_cost, memory_cost=cost.memory_kib, parallelism=cost.parallelism, type=Type.ID
    )


def _run_hash(work: int, fn: Callable[..., T], *args) -> T:
    return run_blocking(fn, *args) if work >= OFFLOAD_FROM_WORK else fn(*args)


def hash_password(password: str, profile: str) -> str:
    return _run_hash(PROFILES[profile].work, hasher(profile).hash, password)


def hash_password_with_salt(password: str, salt_source: str, profile: str) -> str:
    """A hash whose salt derives from `salt_source`: the same input gives the same hash.

    Only for seed data, so that one seed gives the same store byte for byte; every
    password a customer sets goes through `hash_password` and a random salt.
    """
    cost = PROFILES[profile]
    salt = hashlib.sha256(salt_source.encode()).digest()[:16]
    encoded = hash_secret(
        password.encode(),
        salt,
        time_cost=cost.time_cost,
        memory_cost=cost.memory_kib,
        parallelism=cost.parallelism,
        hash_len=32,
        type=Type.ID,
    )
    return encoded.decode("ascii")


#: profile → a hash at its cost, verified against when an email is unknown. A pure function
#: of the profile (the password hashed does not matter), so one per process is enough.
_DUMMY_HASHES: dict[str, str] = {}


def dummy_hash(profile: str) -> str:
    """A hash at `profile`'s cost to verify against when an email is unknown: same work, same time."""
    found = _DUMMY_HASHES.get(profile)
    if found is None:  # two first callers may both hash; setdefault keeps one answer
        found = _DUMMY_HASHES.setdefault(profile, hash_password(secrets.token_urlsafe(16), profile))
    return found


def prime_dummy_hash(profile: str, password_hash: str) -> None:
    """Use an existing hash of `profile`'s cost (the seeded one) as the dummy, sparing a hash."""
    _DUMMY_HASHES.setdefault(profile, password_hash)


def verify_password(password_hash: str, password: str) -> bool:
    """True when `password` matches; False for a mismatch, an unusable hash or unencodable text."""
    try:
        # Any PasswordHasher verifies any Argon2 hash: the cost is read from the hash itself.
        cost = extract_parameters(password_hash)
        return _run_hash(cost.memory_cost * cost.time_cost, hasher("fast").verify, password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError, UnicodeEncodeError):
        return False


def check_policy(password: str, email: str, field: str = "password") -> None:
    """Raise 422 WEAK_PASSWORD (or VALIDATION_FAILED when too long) unless the password is acceptable."""
    if len(password) > MAX_LENGTH:
        raise validation_error({field: f"at most {MAX_LENGTH} characters"})
    try:
        password.encode("utf-8")
    except UnicodeEncodeError:
        raise validation_error({field: "is not valid Unicode text"}) from None
    reason = None
    folded = password.casefold()
    email_folded = email.strip().casefold()
    if len(password) < MIN_LENGTH:
        reason = f"at least {MIN_LENGTH} characters"
    elif not password.strip():
        reason = "must not be only spaces"
    elif email_folded and folded in (email_folded, email_folded.partition("@")[0]):
        reason = "must not be the email address"
    elif folded in COMMON_PASSWORDS:
        reason = "is too common: it appears in lists of breached passwords"
    if reason:
        raise DomainError(422, "WEAK_PASSWORD", f"The password is too weak: {reason}.", errors={field: reason})

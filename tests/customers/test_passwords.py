"""Password hashing and policy, without HTTP."""

from __future__ import annotations

import time

import pytest

from simulator.customers import passwords
from simulator.errors import DomainError


@pytest.mark.parametrize(
    "password, reason",
    [
        ("short", "at least 8 characters"),
        ("1234567", "at least 8 characters"),
        ("        ", "only spaces"),
        ("ada@example.org", "email"),
        ("ADA@EXAMPLE.ORG", "email"),
        ("ada@example.org".upper(), "email"),
        ("password", "too common"),
        ("Password1", "too common"),
        ("qwertzuiop", "too common"),
        ("12345678", "too common"),
    ],
)
def test_the_policy_refuses_weak_passwords(password, reason):
    with pytest.raises(DomainError) as caught:
        passwords.check_policy(password, "ada@example.org")
    assert caught.value.status == 422
    assert caught.value.code == "WEAK_PASSWORD"
    assert reason in caught.value.errors["password"]


def test_the_local_part_of_the_email_is_refused_too():
    with pytest.raises(DomainError, match="email"):
        passwords.check_policy("ada.lovelace", "Ada.Lovelace@example.org")


@pytest.mark.parametrize("password", ["correct horse battery", "8chars!!", "Zürich-2026", "x" * 256])
def test_the_policy_accepts_reasonable_passwords(password):
    passwords.check_policy(password, "ada@example.org")


def test_too_long_and_unencodable_passwords_are_validation_errors_not_crashes():
    for password in ("x" * 257, "abc\ud800defgh"):
        with pytest.raises(DomainError) as caught:
            passwords.check_policy(password, "ada@example.org")
        assert caught.value.code == "VALIDATION_FAILED"


@pytest.mark.parametrize("profile", ["fast", "secure"])
def test_hashes_are_salted_argon2id_at_the_profile_cost(profile):
    cost = passwords.PROFILES[profile]
    first = passwords.hash_password("correct horse battery", profile)
    second = passwords.hash_password("correct horse battery", profile)
    assert first != second  # a random salt each time
    assert first.startswith(f"$argon2id$v=19$m={cost.memory_kib},t={cost.time_cost},p={cost.parallelism}$")
    assert "correct horse" not in first
    assert passwords.verify_password(first, "correct horse battery")
    assert not passwords.verify_password(first, "correct horse batterY")


def test_a_hash_from_one_profile_verifies_whatever_the_profile_now():
    secure = passwords.hash_password("correct horse battery", "secure")
    assert passwords.verify_password(secure, "correct horse battery")


def test_verify_answers_false_for_garbage_instead_of_raising():
    assert passwords.verify_password("not a hash", "whatever1") is False
    assert passwords.verify_password(passwords.hash_password("abcdefgh1", "fast"), "abc\ud800") is False


def test_seed_hashes_are_deterministic_for_their_salt_source_and_verify():
    one = passwords.hash_password_with_salt("alegra-sim-2026", "42:seeded", "fast")
    assert one == passwords.hash_password_with_salt("alegra-sim-2026", "42:seeded", "fast")
    assert one != passwords.hash_password_with_salt("alegra-sim-2026", "43:seeded", "fast")
    assert passwords.verify_password(one, "alegra-sim-2026")


def test_the_fast_profile_is_much_cheaper_than_the_secure_one():
    def cost(profile: str) -> float:
        hashed = passwords.hash_password("correct horse battery", profile)
        started = time.perf_counter()
        for _ in range(3):
            passwords.verify_password(hashed, "correct horse battery")
        return time.perf_counter() - started

    assert cost("fast") * 20 < cost("secure")


def test_only_costly_hashes_leave_the_event_loop(monkeypatch):
    offloaded = []

    def run_blocking(fn, *args):
        offloaded.append(fn.__name__)
        return fn(*args)

    monkeypatch.setattr(passwords, "run_blocking", run_blocking)
    secure, fast = passwords.hash_password("s3cret-enough", "secure"), passwords.hash_password("s3cret-enough", "fast")
    assert offloaded == ["hash"]
    assert passwords.verify_password(secure, "s3cret-enough") and passwords.verify_password(fast, "s3cret-enough")
    assert offloaded == ["hash", "verify"]
    assert not passwords.verify_password("not a hash", "s3cret-enough") and offloaded == ["hash", "verify"]

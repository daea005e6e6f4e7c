"""Known and unknown emails cannot be told apart by how long the answer takes."""

from __future__ import annotations

import statistics
import time

from tests.helpers.accounts import PASSWORD, registration


def _median_seconds(send, rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        send()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def test_forgot_takes_as_long_for_an_unknown_email_as_for_a_known_one(client):
    client.post("/api/v1/customers", json=registration("ada@example.org"))
    known = lambda: client.post("/api/v1/auth/password/forgot", json={"email": "ada@example.org"})  # noqa: E731
    unknown = lambda: client.post("/api/v1/auth/password/forgot", json={"email": "ghost@example.org"})  # noqa: E731
    for _ in range(5):  # warm up
        known(), unknown()
    # Interleaved, so that machine noise hits both alike.
    known_times, unknown_times = [], []
    for _ in range(60):
        known_times.append(_median_seconds(known, 1))
        unknown_times.append(_median_seconds(unknown, 1))
    known_median, unknown_median = statistics.median(known_times), statistics.median(unknown_times)
    assert abs(known_median - unknown_median) < 0.5 * max(known_median, unknown_median), (known_median, unknown_median)


def test_login_with_an_unknown_email_costs_the_same_hash_as_a_wrong_password_at_the_secure_cost(make_app):
    app = make_app(customers=0, password_hash_profile="secure")
    client = app.test_client()
    assert client.post("/api/v1/customers", json=registration("ada@example.org")).status_code == 201
    wrong = lambda: client.post("/api/v1/auth/login", json={"email": "ada@example.org", "password": "not " + PASSWORD})  # noqa: E731
    ghost = lambda: client.post("/api/v1/auth/login", json={"email": "ghost@example.org", "password": PASSWORD})  # noqa: E731
    known_times, unknown_times = [], []
    for _ in range(4):  # stays under the lockout threshold for each email
        known_times.append(_median_seconds(wrong, 1))
        unknown_times.append(_median_seconds(ghost, 1))
    known_median, unknown_median = statistics.median(known_times), statistics.median(unknown_times)
    # Without the dummy hash an unknown email would answer in well under a tenth of the time.
    assert unknown_median > 0.5 * known_median, (known_median, unknown_median)
    assert known_median > 0.005  # the secure cost really is paid

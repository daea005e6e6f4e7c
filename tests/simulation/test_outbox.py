"""GET /_sim/outbox and the outbox store helpers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from simulator.clock import Clock
from simulator.mail import outbox
from simulator.store import InMemoryStore
from tests.helpers.problems import assert_problem

SMALL = {"products": 10, "churn_per_minute": 0, "log_level": "warning", "customers": 0, "password_hash_profile": "fast"}


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


def _send(store, clock, recipient, n):
    return outbox.send(
        store, clock, recipient=recipient, subject=f"Mail {n}", text=f"Body {n}", template="test",
        links=(f"http://x/{n}",), tokens={"n": str(n)},
    )


def test_mails_list_newest_first_with_their_fields(app, client):
    sim = app.extensions["alegra_sim"]
    sim.clock.freeze()
    sim.clock.set(datetime(2026, 11, 29, 18, 0, tzinfo=UTC))
    for n in range(3):
        _send(sim.store, sim.clock, "Ada@Example.org", n)
        sim.clock.advance(timedelta(minutes=1))
    response = client.get("/_sim/outbox")
    assert response.status_code == 200
    mails = response.get_json()
    assert [m["subject"] for m in mails] == ["Mail 2", "Mail 1", "Mail 0"]
    assert mails[0] == {
        "id": mails[0]["id"], "recipient": "Ada@Example.org", "subject": "Mail 2", "text": "Body 2",
        "template": "test", "links": ["http://x/2"], "tokens": {"n": "2"}, "sent_at": "2026-11-29T18:02:00Z",
    }
    assert json.loads(response.headers["X-Pagination"])["total"] == 3


def test_filter_by_recipient_ignores_letter_case(app, client):
    sim = app.extensions["alegra_sim"]
    _send(sim.store, sim.clock, "ada@example.org", 1)
    _send(sim.store, sim.clock, "bob@example.org", 2)
    _send(sim.store, sim.clock, "ADA@example.org", 3)
    mails = client.get("/_sim/outbox", query_string={"recipient": "Ada@Example.ORG"}).get_json()
    assert [m["subject"] for m in mails] == ["Mail 3", "Mail 1"]
    assert client.get("/_sim/outbox", query_string={"recipient": "nobody@example.org"}).get_json() == []


def test_the_outbox_is_paginated(app, client):
    sim = app.extensions["alegra_sim"]
    for n in range(25):
        _send(sim.store, sim.clock, "ada@example.org", n)
    first = client.get("/_sim/outbox")
    assert len(first.get_json()) == 20  # the contract's default page size
    second = client.get("/_sim/outbox", query_string={"page": 2, "page_size": 20})
    assert [m["subject"] for m in second.get_json()] == [f"Mail {n}" for n in range(4, -1, -1)]
    assert json.loads(second.headers["X-Pagination"])["total"] == 25
    assert_problem(client.get("/_sim/outbox", query_string={"page_size": 101}), 422)
    assert_problem(client.get("/_sim/outbox", query_string={"page": 0}), 422)
    assert_problem(client.get("/_sim/outbox", query_string={"recipient": ""}), 422)


def test_the_outbox_needs_the_admin_token_when_one_is_set(make_app):
    client = make_app(admin_token="s3cret").test_client()
    response = client.get("/_sim/outbox")
    assert_problem(response, 401, "AUTHENTICATION_REQUIRED")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/_sim/outbox", headers={"Authorization": "Bearer s3cret"}).status_code == 200


def test_the_oldest_tenth_goes_past_the_limit(monkeypatch):
    monkeypatch.setattr(outbox, "OUTBOX_LIMIT", 20)
    store, clock = InMemoryStore(1), Clock()
    totals = []
    for n in range(26):
        _send(store, clock, "ada@example.org", n)
        totals.append(outbox.list_mails(store, None, 1, 100)[1])
    assert totals[:21] == [*range(1, 21), 18] and totals[21:] == [19, 20, 18, 19, 20]  # 21 → 18: the next two only add
    mails, _ = outbox.list_mails(store, None, 1, 100)
    assert [m.subject for m in mails] == [f"Mail {n}" for n in range(25, 5, -1)]  # the newest, newest first
    assert [m.subject for m in outbox.list_mails(store, "ada@example.org", 1, 100)[0]] == [m.subject for m in mails]

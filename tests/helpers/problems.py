"""Checks of problem+json answers."""

from __future__ import annotations


def assert_problem(response, status: int, code: str | None = None) -> dict:
    """The answer is problem+json with this status (and code)."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert body["status"] == status
    assert body["code"] and body["code"] == body["code"].upper()
    assert {"type", "title", "detail"} <= set(body)
    if code is not None:
        assert body["code"] == code, body
    return body

"""Settings of the small apps tests build (through the `make_app` fixture, or a server)."""

from __future__ import annotations

#: A small catalog and customer base, cheap password hashing, no churn: quick to seed.
SMALL = {"products": 200, "customers": 50, "password_hash_profile": "fast", "churn_per_minute": 0, "log_level": "warning"}

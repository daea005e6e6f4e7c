"""The leader lease: background work (churn, the order lifecycle, webhook delivery, sweeps)
runs on exactly one worker at a time.

A worker holds the lease while it renews it (every RENEW_SECONDS, from its own loop);
when it dies or loses Redis, the lease runs out after TTL_SECONDS and another worker's
next renewal takes it. `leads()` answers from memory: it trusts a renewal for less than
the lease lasts, so two workers never both believe they lead.
"""

from __future__ import annotations

import time
import uuid

import redis

TTL_SECONDS = 3.0
RENEW_SECONDS = 1.0

# ARGV: holder, ttl ms: 1 when the holder has (or took) the lease, else 0.
_RENEW = """
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if not holder then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0
"""


class Lease:
    def __init__(self, client: redis.Redis, key: str, holder: str | None = None) -> None:
        self.key = key
        self.holder = holder or uuid.uuid4().hex
        self._renew = client.register_script(_RENEW)
        self._until = 0.0  # monotonic time until which this worker may act as the leader

    def renew(self) -> bool:
        started = time.monotonic()
        try:
            held = bool(self._renew(keys=[self.key], args=[self.holder, int(TTL_SECONDS * 1000)]))
        except Exception:
            self._until = 0.0
            raise
        # Trust it a little less than it lasts in Redis, counted from before the call.
        self._until = started + TTL_SECONDS - RENEW_SECONDS / 2 if held else 0.0
        return held

    def leads(self) -> bool:
        return time.monotonic() < self._until

"""Integration keys: who owns webhook subscriptions. Plain Python (no Flask).

An operator issues a key per integration (`POST /_sim/integration-keys`); the
integration sends it as `Authorization: Bearer <key>` on `/api/v1/webhooks…` and sees
only the subscriptions it made (another's answer 404). The admin token, when one is
set, sees and deletes every subscription; what it creates belongs to `ADMIN`.

The raw key is shown once; the store keeps its digest (`simulator.tokens`), as the
record id, so checking a key is one lookup. Keys outlive a reset (`carry_over`): they
are the operator's, like the admin token, not the shop's; subscriptions do not.

A key may be revoked while a request it authenticated is under way: what that request
writes on the key's behalf checks `still_valid` under the same `store.atomic()` lock that
revoking takes, so nothing is left owned by a revoked key.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime

from simulator.clock import Clock
from simulator.errors import DomainError, authentication_required, invalid_token, not_found
from simulator.store import Store
from simulator.tokens import MAX_LENGTH, new_token, token_digest

INTEGRATION_KEY = "integration_key"
KEY_PREFIX = "ik_"
#: The owner of subscriptions created with the admin token.
ADMIN = "admin"
MAX_KEYS = 1000
REALM = "alegra-sim integrations"
_KEY_SEQ = "integration_keys.seq"


@dataclass(frozen=True, slots=True)
class IntegrationKey:
    id: str  # token_digest(raw key): the raw key is never stored
    key_id: str  # key_…: the public name of the key, and the owner of its subscriptions
    name: str
    created_at: datetime
    seq: int  # issue order within one store (the clock may be frozen)
    version: int = 1


@dataclass(frozen=True)
class Caller:
    """Who calls the webhook routes: whose subscriptions it makes, and which it sees."""

    key: IntegrationKey | None  # the key it authenticated with; None: the admin token

    @property
    def owner_id(self) -> str:
        return self.key.key_id if self.key is not None else ADMIN

    @property
    def sees_all(self) -> bool:
        return self.key is None

    def sees(self, owner_id: str) -> bool:
        return self.sees_all or owner_id == self.owner_id


#: The caller with the admin token.
ADMIN_CALLER = Caller(None)
_NOT_A_KEY = "This is not an integration key (or it was revoked)."


def authenticate(store: Store, raw: str | None, admin_token: str) -> Caller:
    """The caller of a bearer credential: an integration key, or the admin token. 401
    AUTHENTICATION_REQUIRED without one, INVALID_TOKEN for one that is neither."""
    if not raw:
        raise authentication_required(
            "Webhook calls need `Authorization: Bearer <integration key>` (from POST /_sim/integration-keys).", REALM)
    if admin_token and hmac.compare_digest(raw.encode("utf-8", "surrogatepass"), admin_token.encode()):
        return ADMIN_CALLER
    key = store.get(INTEGRATION_KEY, token_digest(raw)) if len(raw) <= MAX_LENGTH else None
    if key is None:
        raise invalid_token(_NOT_A_KEY, REALM)
    return Caller(key)


def still_valid(store: Store, caller: Caller) -> None:
    """401 INVALID_TOKEN when the caller's key was revoked since it authenticated. Call it
    inside the `store.atomic()` block that writes on the caller's behalf: `revoke` holds the
    same lock, so either the write comes first (and revoking removes what it wrote) or this
    finds the key gone."""
    if caller.key is None:
        return
    current = store.get(INTEGRATION_KEY, caller.key.id)
    if current is None or current.version != caller.key.version:
        raise invalid_token(_NOT_A_KEY, REALM)


def issue(store: Store, clock: Clock, name: str) -> tuple[IntegrationKey, str]:
    """A new key and the raw key to hand over, this once."""
    raw = KEY_PREFIX + new_token()
    with store.atomic():
        if store.count(INTEGRATION_KEY) >= MAX_KEYS:
            raise DomainError(409, "INTEGRATION_KEY_LIMIT_REACHED", f"At most {MAX_KEYS} integration keys; revoke one first.")
        key = IntegrationKey(token_digest(raw), store.new_id("key"), name, clock.now(), store.next_seq(_KEY_SEQ))
        store.put(INTEGRATION_KEY, key)
    return key, raw


def list_keys(store: Store) -> list[IntegrationKey]:
    return sorted(store.values(INTEGRATION_KEY), key=lambda key: (key.created_at, key.seq))


def get_key(store: Store, key_id: str) -> IntegrationKey:
    """A key by its public id (keys are few: an operator issues them)."""
    key = next((key for key in store.values(INTEGRATION_KEY) if key.key_id == key_id), None)
    if key is None:
        raise not_found("INTEGRATION_KEY_NOT_FOUND", f"There is no integration key {key_id}.")
    return key


def revoke(store: Store, key_id: str) -> IntegrationKey:
    """Forget a key: it authenticates no more (`dispatcher.revoke_key` also unsubscribes it)."""
    with store.atomic():
        key = get_key(store, key_id)
        store.delete(INTEGRATION_KEY, key.id)
    return key


def carry_over(old: Store, new: Store) -> None:
    """Copy the keys into a freshly seeded store (a reset)."""
    new.load(INTEGRATION_KEY, old.values(INTEGRATION_KEY))

"""Domain events for push triggers (webhooks): what changed, queued for delivery. Plain Python.

A service calls `publish` when a product or an order changes. Publishing sends
nothing: it appends one delivery record per subscription that wants the event to
the store and returns; the webhook dispatcher (`webhooks.py`) sends them in the
background. With no subscription it costs one counter lookup, so the churn
generator and load tests pay nothing for triggers nobody asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from simulator.clock import Clock
from simulator.store import Store, encode_id

EVENT_TYPES = (
    "product.created",
    "product.updated",
    "product.deleted",
    "order.created",
    "order.status_changed",
    "order.cancelled",
)
SUBSCRIPTION = "webhook"
DELIVERY = "webhook_delivery"
#: The store's named set of the ids of the deliveries not finished yet: their ids ascend
#: with creation (`sequential_id`), so the set's order is the order they were queued in.
OPEN = "webhooks.open"
#: Deliveries kept per subscription; past it the oldest go (finished ones first).
DELIVERIES_KEPT = 1000
_EVENT_SEQ = "events.seq"
_DELIVERY_SEQ = "webhooks.delivery_seq"
#: Subscriptions are trimmed every so many events, not on each (a trim reads all their deliveries).
_TRIM_EVERY = 100


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # queued, no attempt yet
    DELIVERING = "delivering"  # an attempt is under way
    RETRYING = "retrying"  # an attempt failed; the next one waits for its backoff
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # every attempt failed: given up


FINISHED = (DeliveryStatus.SUCCEEDED, DeliveryStatus.FAILED)


@dataclass(frozen=True, slots=True)
class Subscription:
    id: str  # whk_…
    owner_id: str  # the integration key that made it (`keys.Caller.owner_id`)
    url: str
    events: tuple[str, ...]
    secret: str
    description: str
    created_at: datetime
    seq: int = 0  # creation order (the clock may be frozen)
    version: int = 1


@dataclass(frozen=True, slots=True)
class Attempt:
    number: int
    at: datetime  # simulated time the attempt began
    status_class: str | None  # "2xx", "4xx", …; None: no HTTP answer (refused, timeout, …)
    duration_ms: float  # real time it took
    error: str | None  # a `dispatcher.ErrorKind`, never the peer's own words


@dataclass(frozen=True, slots=True)
class Delivery:
    id: str  # dlv_…, ascending in creation order
    owner_id: str  # the subscription
    event_id: str  # evt_…, the same for every subscription and every retry: de-duplicate on it
    event_type: str
    resource_id: str
    payload: Any  # the record as it was (rendered at the first attempt) or a JSON-ready dict
    created_at: datetime
    next_attempt_at: float  # simulator-clock timestamp
    status: DeliveryStatus = DeliveryStatus.PENDING
    body: bytes | None = None  # the exact bytes signed and sent, fixed at the first attempt
    attempts: tuple[Attempt, ...] = ()
    version: int = 1
    #: Real time (epoch seconds) the attempt under way began: a DELIVERING delivery whose
    #: attempt outlived every timeout was lost with the worker sending it, and is due again.
    sending_since: float | None = None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


def sequential_id(store: Store, prefix: str, number: int) -> str:
    """`<prefix>_<store generation>_<the number in 12 base32 characters>`, e.g. `evt_3f9c2a71d0_00000000001k`.

    The generation is drawn afresh for every store (each start, each reset), so an id is
    never handed out twice, and a receiver that de-duplicates on X-Event-Id never drops
    a new event as an old one. Within a store the ids ascend with creation.
    """
    return encode_id(f"{prefix}_{store.generation}", number)


def publish(store: Store, clock: Clock, event_type: str, resource_id: str, payload: Any) -> str | None:
    """Queue `event_type` about `resource_id` for every subscription that wants it.

    `payload` is the resource as it is now: a record (a Product; rendered as the API
    shows it when first sent) or a JSON-ready dict. Returns the event id (`evt_…`),
    or None when no subscription wants the event. Call it inside the service's
    `store.atomic()` block or `store.transaction`, so that events of one resource are
    queued in the order of its changes (two transactions that change it conflict).
    """
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    if not store.count(SUBSCRIPTION):
        return None
    with store.atomic():
        wanted = [s for s in store.values(SUBSCRIPTION) if event_type in s.events]
        if not wanted:
            return None
        event_seq = store.next_seq(_EVENT_SEQ)
        event_id = sequential_id(store, "evt", event_seq)
        stamp = clock.timestamp()  # due at once: exactly now on the (maybe frozen) clock
        now = datetime.fromtimestamp(stamp, UTC)
        for subscription in wanted:
            delivery = Delivery(
                id=sequential_id(store, "dlv", store.next_seq(_DELIVERY_SEQ)),
                owner_id=subscription.id,
                event_id=event_id,
                event_type=event_type,
                resource_id=resource_id,
                payload=payload,
                created_at=now,
                next_attempt_at=stamp,
            )
            store.put(DELIVERY, delivery)
            store.set_add(OPEN, delivery.id)
        if event_seq % _TRIM_EVERY == 0:
            for subscription in wanted:
                trim(store, subscription.id)
    return event_id


def trim(store: Store, subscription_id: str, keep: int = DELIVERIES_KEPT) -> int:
    """Forget a subscription's oldest deliveries past `keep`, finished ones first."""
    with store.atomic():
        deliveries = store.by_owner(DELIVERY, subscription_id)
        excess = len(deliveries) - keep
        if excess <= 0:
            return 0
        finished = [d for d in deliveries if d.finished]
        doomed = (finished + [d for d in deliveries if not d.finished])[:excess]
        for delivery in doomed:
            forget(store, delivery.id)
        return len(doomed)


def forget(store: Store, delivery_id: str) -> None:
    """Delete a delivery, finished or not, and its place among the open ones."""
    with store.atomic():
        store.delete(DELIVERY, delivery_id)
        store.set_remove(OPEN, delivery_id)

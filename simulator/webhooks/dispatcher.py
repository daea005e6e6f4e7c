"""Push triggers: webhook subscriptions and the background dispatcher. Plain Python (no Flask).

Deliveries are queued by `events.publish` and sent here, off the request that caused
them. The dispatcher (`dispatch_due`, run every `interval` by a background
thread, a greenlet under gevent) picks every delivery that is due on the simulator
clock, at most one per subscription and resource at a time so a resource's events
arrive in order, and sends each in a thread of its own with a connect and a read
timeout: a receiver that hangs holds only its own delivery.

A delivery is a POST of JSON, signed: `X-Signature: sha256=<hex HMAC-SHA256 of the raw
body with the subscription secret>`, with `X-Event-Id` (the same on every retry: a
receiver de-duplicates on it), `X-Event-Type`, `X-Delivery-Id` and
`X-Delivery-Attempt`. A 2xx answer succeeds it; anything else (another status, a
refused connection, a timeout) is retried after `webhook_retry_base_seconds`,
doubling each time (simulated seconds), until `webhook_max_attempts`, then the
delivery is marked failed. Redirects are not followed: a delivery goes only to the
subscribed URL, and only to hosts the policy allows (`hosts.py`).

Each attempt has a connect and a read timeout and an overall deadline, so a receiver
that trickles its answer a byte at a time holds its slot no longer than the deadline.
The delivery log records what happened as a status class (`4xx`) and an error kind from
a fixed list (`ErrorKind`), never the peer's own status line, headers or text: the log
of a subscription to some local port tells no more than whether an HTTP server is there.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import hmac
import http.client
import json
import logging
import secrets
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from simulator.clock import Clock, rfc3339
from simulator.errors import DomainError, not_found, validation_error
from simulator.store import Store

from . import keys
from .events import DELIVERY, EVENT_TYPES, OPEN, SUBSCRIPTION, Attempt, Delivery, DeliveryStatus, Subscription, forget, sequential_id
from .hosts import HostPolicy, parse_allowed_hosts
from .keys import Caller

log = logging.getLogger(__name__)

MAX_SUBSCRIPTIONS = 100
MAX_SUBSCRIPTIONS_PER_OWNER = 20
MAX_URL_LENGTH = 2048
MAX_DELIVERY_ID_LENGTH = 64
MAX_IN_FLIGHT = 64
MAX_BACKOFF_SECONDS = 24 * 3600
RESPONSE_READ_LIMIT = 64 * 1024
IN_FLIGHT_POLL_SECONDS = 0.01  # how often unsubscribing looks whether attempts under way ended
#: Beyond an attempt's longest, how long unsubscribing waits for it to record how it went.
RECORD_GRACE_SECONDS = 1.0
USER_AGENT = "alegra-sim-webhooks/1"
_SUBSCRIPTION_SEQ = "webhooks.subscription_seq"
STATUSES = tuple(status.value for status in DeliveryStatus)
#: Beyond its longest, how long an attempt may seem under way before it counts as lost.
LOST_ATTEMPT_MARGIN_SECONDS = 5.0


class ErrorKind(StrEnum):
    """Why an attempt failed, from a fixed list: what the delivery log shows."""

    HTTP_STATUS = "http_status"  # an answer, but not 2xx: see the status class
    CONNECTION_REFUSED = "connection_refused"
    CONNECT_TIMEOUT = "connect_timeout"
    READ_TIMEOUT = "read_timeout"
    DEADLINE = "deadline"  # the whole attempt took longer than its deadline
    DNS_FAILED = "dns_failed"
    ADDRESS_NOT_ALLOWED = "address_not_allowed"  # the name resolved outside the host policy
    TLS_FAILED = "tls_failed"
    CONNECTION_FAILED = "connection_failed"  # reset, closed early, not HTTP
    INTERNAL = "internal"  # the simulator's own failure (logged)


ERROR_KINDS = tuple(kind.value for kind in ErrorKind)


@dataclass(frozen=True)
class AttemptLimits:
    """Real seconds: to connect, to wait for each read, and for the whole attempt."""

    connect_seconds: float = 3.0
    read_seconds: float = 10.0
    deadline_seconds: float = 15.0

    @classmethod
    def from_settings(cls, settings: Any) -> AttemptLimits:
        return cls(settings.webhook_connect_timeout_seconds, settings.webhook_read_timeout_seconds,
                   settings.webhook_attempt_deadline_seconds)

    @property
    def longest_seconds(self) -> float:
        """The longest an attempt lasts: the watchdog (`_watchdog`) cuts it at its deadline, and
        connecting, which the watchdog cannot cut, ends at its own timeout."""
        return max(self.deadline_seconds, self.connect_seconds)


def status_class(status: int | None) -> str | None:
    """`2xx`, `4xx`, …: all the delivery log tells of a receiver's status."""
    return None if status is None else f"{status // 100}xx"


# -- signing ---------------------------------------------------------------------------
def sign(secret: str, body: bytes) -> str:
    """The X-Signature value: `sha256=` + hex HMAC-SHA256 of the raw body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, signature: str) -> bool:
    """What a receiver does: compare in constant time."""
    return hmac.compare_digest(sign(secret, body), signature)


# -- subscriptions -----------------------------------------------------------------------
def check_url(url: str, policy: HostPolicy) -> str:
    """A subscription URL: http(s), a host the policy allows, no credentials. Raises DomainError."""
    if len(url) > MAX_URL_LENGTH:
        raise validation_error({"url": f"at most {MAX_URL_LENGTH} characters"})
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise validation_error({"url": "not a valid URL"}) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise validation_error({"url": "must be an http:// or https:// URL with a host"})
    if parts.username is not None or parts.password is not None:
        raise validation_error({"url": "must not carry credentials; verify deliveries by their X-Signature"})
    if port == 0 or any(ch in url for ch in "\r\n\t "):
        raise validation_error({"url": "not a valid URL"})
    if not policy.allows_host(parts.hostname):
        raise DomainError(
            422,
            "WEBHOOK_URL_NOT_ALLOWED",
            f"Webhook deliveries may go to {policy.describe()}, not to {parts.hostname}. "
            "Set SIM_WEBHOOK_ALLOWED_HOSTS to allow more hosts.",
            errors={"url": f"host {parts.hostname} is not allowed"},
        )
    return url.strip()


def create_subscription(
    store: Store, clock: Clock, policy: HostPolicy, caller: Caller, url: str, events: Iterable[str],
    description: str = "", secret: str | None = None,
) -> Subscription:
    """Subscribe a URL to some event types, owned by the caller. The answer's secret is shown this once."""
    url = check_url(url, policy)
    events = tuple(dict.fromkeys(events))
    unknown = [e for e in events if e not in EVENT_TYPES]
    if unknown or not events:
        raise validation_error({"events": f"one or more of {', '.join(EVENT_TYPES)}"})
    with store.atomic():
        keys.still_valid(store, caller)  # revoked since the route checked it: `revoke_key` takes this lock too
        if len(store.by_owner(SUBSCRIPTION, caller.owner_id)) >= MAX_SUBSCRIPTIONS_PER_OWNER:
            raise DomainError(409, "WEBHOOK_LIMIT_REACHED",
                              f"At most {MAX_SUBSCRIPTIONS_PER_OWNER} webhook subscriptions a key; delete one first.")
        if store.count(SUBSCRIPTION) >= MAX_SUBSCRIPTIONS:
            raise DomainError(409, "WEBHOOK_LIMIT_REACHED", f"At most {MAX_SUBSCRIPTIONS} webhook subscriptions in all; delete one first.")
        # Named by the store's generation like events and deliveries: after a reset a new
        # subscription never takes an old one's id, so a receiver never mixes up their deliveries.
        seq = store.next_seq(_SUBSCRIPTION_SEQ)
        subscription = Subscription(
            id=sequential_id(store, "whk", seq),
            owner_id=caller.owner_id,
            seq=seq,
            url=url,
            events=events,
            secret=secret or "whsec_" + secrets.token_hex(24),
            description=description,
            created_at=clock.now(),
        )
        store.put(SUBSCRIPTION, subscription)
    return subscription


def get_subscription(store: Store, subscription_id: str, caller: Caller) -> Subscription:
    """The caller's subscription; another's answers 404 like an unknown one."""
    found = store.get(SUBSCRIPTION, subscription_id)
    if found is None or not caller.sees(found.owner_id):
        raise not_found("WEBHOOK_NOT_FOUND", f"There is no webhook subscription {subscription_id}.")
    return found


def list_subscriptions(store: Store, caller: Caller, page: int, page_size: int) -> tuple[list[Subscription], int]:
    """The caller's subscriptions (the admin: all), oldest first."""
    visible = store.values(SUBSCRIPTION) if caller.sees_all else store.by_owner(SUBSCRIPTION, caller.owner_id)
    subscriptions = sorted(visible, key=lambda s: s.seq)
    start = (page - 1) * page_size
    return subscriptions[start : start + page_size], len(subscriptions)


def delete_subscription(store: Store, settings: Any, subscription_id: str, caller: Caller) -> None:
    """Unsubscribe: once this returns, nothing more is sent to it. Its deliveries (and their
    history) go with it; an attempt already under way is waited for (`wait_in_flight`)."""
    with store.atomic():
        get_subscription(store, subscription_id, caller)
        _unsubscribe(store, subscription_id)
    wait_in_flight(store, settings, [subscription_id])


def revoke_key(store: Store, settings: Any, key_id: str) -> None:
    """Revoke an integration key and unsubscribe everything it subscribed, in one step (a
    subscription it is making meanwhile finds the key gone: `create_subscription`); like
    `delete_subscription`, return once nothing more is sent to them."""
    with store.atomic():
        keys.revoke(store, key_id)
        unsubscribed = [subscription.id for subscription in store.by_owner(SUBSCRIPTION, key_id)]
        for subscription_id in unsubscribed:
            _unsubscribe(store, subscription_id)
    wait_in_flight(store, settings, unsubscribed)


def _unsubscribe(store: Store, subscription_id: str) -> None:
    """Delete a subscription and its deliveries, all but those under way (see `wait_in_flight`).
    Call it inside `store.atomic()`."""
    store.delete(SUBSCRIPTION, subscription_id)
    for delivery in store.by_owner(DELIVERY, subscription_id):
        if delivery.status != DeliveryStatus.DELIVERING:
            forget(store, delivery.id)


def wait_in_flight(store: Store, settings: Any, subscription_ids: Iterable[str]) -> None:
    """Wait for the deliveries in flight to these unsubscribed subscriptions, then forget them.

    A request already sent cannot be called back, so unsubscribing answers only once it was
    answered: nothing arrives after. An attempt picked but not sending yet sees the
    subscription gone and sends nothing (`_attempt`). Each is waited for at most the longest
    an attempt lasts from when it began (on whichever worker): one lost with its worker is
    not waited for. Call it after the `store.atomic()` block that unsubscribed them: the
    attempts need the lock to record how they went."""
    in_flight = [delivery for subscription_id in subscription_ids for delivery in store.by_owner(DELIVERY, subscription_id)]
    if not in_flight:
        return
    longest = AttemptLimits.from_settings(settings).longest_seconds + RECORD_GRACE_SECONDS
    deadline = max(delivery.sending_since or 0.0 for delivery in in_flight) + longest  # sending_since is time.time()
    waiting = [delivery.id for delivery in in_flight if delivery.status == DeliveryStatus.DELIVERING]
    while waiting and time.time() < deadline:
        time.sleep(IN_FLIGHT_POLL_SECONDS)
        waiting = [delivery_id for delivery_id, delivery in zip(waiting, store.get_many(DELIVERY, waiting), strict=True)
                   if delivery is not None and delivery.status == DeliveryStatus.DELIVERING]
    with store.atomic():
        for delivery in in_flight:
            forget(store, delivery.id)


# -- the deliveries feed ---------------------------------------------------------------
def latest_deliveries(store: Store, limit: int) -> list[tuple[Delivery, Subscription | None]]:
    """The latest deliveries of every subscription, newest first, each with its subscription
    (None when it was deleted meanwhile). Delivery ids grow in creation order: the tail of the
    id index is the latest, found without a scan."""
    ids = store.ids_after(DELIVERY, None, limit, offset=max(0, store.count(DELIVERY) - limit))
    found = (store.get(DELIVERY, delivery_id) for delivery_id in reversed(ids))  # None: trimmed meanwhile
    return [(delivery, store.get(SUBSCRIPTION, delivery.owner_id)) for delivery in found if delivery is not None]


def _encode_cursor(generation: str, after_id: str) -> str:
    return base64.urlsafe_b64encode(f"{generation}.{after_id}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, generation: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    token_generation, _, after_id = raw.partition(".")
    if not after_id.startswith("dlv_") or len(after_id) > MAX_DELIVERY_ID_LENGTH:
        raise DomainError(422, "INVALID_CURSOR", "The cursor is not one this backend issued.", errors={"cursor": "unrecognised value"})
    if token_generation != generation:
        raise DomainError(410, "CURSOR_EXPIRED", "The simulator was reset since this cursor was issued; start again without one.")
    return after_id


def list_deliveries(
    store: Store, subscription_id: str, caller: Caller, cursor: str | None, limit: int, status: str | None = None,
) -> tuple[list[Delivery], str | None]:
    """A subscription's deliveries, oldest first, from a cursor; the next cursor or None at the end."""
    get_subscription(store, subscription_id, caller)
    after = _decode_cursor(cursor, store.generation) if cursor else ""
    deliveries = [d for d in store.by_owner(DELIVERY, subscription_id) if d.id > after and (status is None or d.status == status)]
    page = deliveries[:limit]
    more = len(deliveries) > limit
    return page, (_encode_cursor(store.generation, page[-1].id) if more else None)


# -- rendering ---------------------------------------------------------------------------
def _render_product(product: Any, settings: Any) -> dict:
    from simulator.catalog.serialize import product_to_dict

    return product_to_dict(product, settings.currency, settings.base_url)


def _render_order(order: Any, settings: Any) -> dict:
    from simulator.orders.serialize import order_to_dict

    return order_to_dict(order, settings.currency)


#: resource type → how a record of it is shown (record, settings) → dict; a dict payload is sent as it is.
RENDERERS: Mapping[str, Callable[[Any, Any], dict]] = MappingProxyType({"product": _render_product, "order": _render_order})


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return rfc3339(value)
    if isinstance(value, Decimal):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


def render_body(delivery: Delivery, settings: Any) -> bytes:
    resource = delivery.event_type.partition(".")[0]
    data = delivery.payload
    if not isinstance(data, Mapping):
        renderer = RENDERERS.get(resource)
        data = renderer(data, settings) if renderer else data
    body = {
        "id": delivery.event_id,
        "type": delivery.event_type,
        "created_at": rfc3339(delivery.created_at),
        "resource": {"type": resource, "id": delivery.resource_id},
        "data": data,
    }
    return json.dumps(body, separators=(",", ":"), default=_plain).encode()


# -- sending -----------------------------------------------------------------------------
class ConnectTimeout(OSError):
    pass


def _watchdog(connection: http.client.HTTPConnection, seconds: float) -> tuple[threading.Timer, threading.Event]:
    """After `seconds`, shut the connection's socket: a read blocked on a trickling peer
    ends at once (as an error), whatever its own timeout. Cancel the timer when done."""
    expired = threading.Event()

    def cut() -> None:
        expired.set()
        sock = connection.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    timer = threading.Timer(seconds, cut)
    timer.daemon = True
    timer.start()
    return timer, expired


def _connection(https: bool):
    base = http.client.HTTPSConnection if https else http.client.HTTPConnection

    class Pinned(base):  # type: ignore[misc, valid-type]
        """Connects to the address checked against the policy, not to a second lookup of the name."""

        def __init__(self, host, port, address, connect_timeout, read_timeout, **kwargs):
            super().__init__(host, port, timeout=connect_timeout, **kwargs)
            self._address, self._read_timeout = address, read_timeout

        def connect(self):
            try:
                sock = socket.create_connection(self._address, self.timeout)
            except TimeoutError:
                raise ConnectTimeout(f"connect timeout after {self.timeout:g} s") from None
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if https:
                sock = self._context.wrap_socket(sock, server_hostname=self.host)
            sock.settimeout(self._read_timeout)
            self.sock = sock

    return Pinned


def send(url: str, body: bytes, headers: Mapping[str, str], policy: HostPolicy,
         limits: AttemptLimits) -> tuple[int | None, ErrorKind | None]:
    """POST the body; (status, None) on an HTTP answer, (None, what went wrong) otherwise. Never raises."""
    parts = urlsplit(url)
    https = parts.scheme == "https"
    host = parts.hostname or ""
    port = parts.port or (443 if https else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return None, ErrorKind.DNS_FAILED
    allowed = [info for info in infos if policy.allows_resolved(host, info[4][0])]
    if not allowed:
        return None, ErrorKind.ADDRESS_NOT_ALLOWED
    family_address = allowed[0][4][:2]
    kwargs = {"context": ssl.create_default_context()} if https else {}
    connection = _connection(https)(host, port, family_address, limits.connect_seconds, limits.read_seconds, **kwargs)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    timer, expired = _watchdog(connection, limits.deadline_seconds)
    try:
        connection.request("POST", path, body=body, headers=dict(headers))
        response = connection.getresponse()
        response.read(RESPONSE_READ_LIMIT)
        return (None, ErrorKind.DEADLINE) if expired.is_set() else (response.status, None)
    except (OSError, http.client.HTTPException) as error:
        return None, ErrorKind.DEADLINE if expired.is_set() else _error_kind(error)
    finally:
        timer.cancel()
        connection.close()


def _error_kind(error: Exception) -> ErrorKind:
    if isinstance(error, ConnectTimeout):
        return ErrorKind.CONNECT_TIMEOUT
    if isinstance(error, TimeoutError):
        return ErrorKind.READ_TIMEOUT
    if isinstance(error, ConnectionRefusedError):
        return ErrorKind.CONNECTION_REFUSED
    if isinstance(error, ssl.SSLError):
        return ErrorKind.TLS_FAILED
    return ErrorKind.CONNECTION_FAILED


# -- the dispatcher ------------------------------------------------------------------------
def backoff_seconds(base: float, failed_attempts: int) -> float:
    return min(base * 2 ** (failed_attempts - 1), MAX_BACKOFF_SECONDS)


def _attempt(store: Store, clock: Clock, settings: Any, policy: HostPolicy,
             subscription: Subscription, delivery: Delivery) -> None:
    number = len(delivery.attempts) + 1
    body = delivery.body or b""
    with store.atomic():  # unsubscribed since it was picked: send nothing (see delete_subscription)
        if store.get(SUBSCRIPTION, subscription.id) is None or store.get(DELIVERY, delivery.id) is None:
            forget(store, delivery.id)
            return
    at = clock.now()
    started = time.perf_counter()
    try:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Event-Id": delivery.event_id,
            "X-Event-Type": delivery.event_type,
            "X-Delivery-Id": delivery.id,
            "X-Delivery-Attempt": str(number),
            "X-Signature": sign(subscription.secret, body),
        }
        status, error = send(subscription.url, body, headers, policy, AttemptLimits.from_settings(settings))
    except Exception:  # a delivery must end recorded, whatever happened
        log.exception("webhook delivery %s failed unexpectedly", delivery.id)
        status, error = None, ErrorKind.INTERNAL
    duration_ms = round((time.perf_counter() - started) * 1000, 1)
    if status is not None and not 200 <= status < 300:
        error = ErrorKind.HTTP_STATUS
    attempt = Attempt(number, at, status_class(status), duration_ms, error)

    def record(current: Delivery) -> Delivery:
        attempts = current.attempts + (attempt,)
        if error is None:
            state, next_at = DeliveryStatus.SUCCEEDED, current.next_attempt_at
        elif number >= settings.webhook_max_attempts:
            state, next_at = DeliveryStatus.FAILED, current.next_attempt_at
        else:
            state, next_at = DeliveryStatus.RETRYING, clock.timestamp() + backoff_seconds(settings.webhook_retry_base_seconds, number)
        return dataclasses.replace(current, status=state, attempts=attempts, next_attempt_at=next_at,
                                   version=current.version + 1)

    with store.atomic():
        if store.get(DELIVERY, delivery.id) is None:
            return  # unsubscribed or reset meanwhile
        updated = store.update(DELIVERY, delivery.id, record)
        if updated.finished:
            store.set_remove(OPEN, delivery.id)


def dispatch_due(runtime: Any) -> list[threading.Thread]:
    """Start an attempt for every delivery due now; returns the threads started.

    Per subscription and resource only the oldest unfinished delivery is a candidate,
    so a resource's events go out in order, each after the one before has succeeded or
    failed for good. At most MAX_IN_FLIGHT attempts run at once.
    """
    store, clock, settings = runtime.store, runtime.clock, runtime.settings
    if not store.set_members(OPEN, limit=1):
        return []  # the common case, every tick: nothing to send
    policy = parse_allowed_hosts(settings.webhook_allowed_hosts)
    now = clock.timestamp()
    started = time.time()
    # An attempt under way longer than this was lost with the worker that made it (shared store).
    lost_after = AttemptLimits.from_settings(settings).longest_seconds + LOST_ATTEMPT_MARGIN_SECONDS
    chosen: list[tuple[Subscription, Delivery]] = []
    with store.atomic():
        blocked: set[tuple[str, str]] = set()
        in_flight = 0
        due: list[Delivery] = []
        for delivery_id in store.set_members(OPEN):
            delivery = store.get(DELIVERY, delivery_id)
            if delivery is None or delivery.finished:
                store.set_remove(OPEN, delivery_id)
                continue
            key = (delivery.owner_id, delivery.resource_id)
            if key in blocked:
                continue
            blocked.add(key)
            if delivery.status == DeliveryStatus.DELIVERING:
                if delivery.sending_since is None or started - delivery.sending_since < lost_after:
                    in_flight += 1
                else:
                    due.append(delivery)
            elif delivery.next_attempt_at <= now:
                due.append(delivery)
        for delivery in due[: max(0, MAX_IN_FLIGHT - in_flight)]:
            subscription = store.get(SUBSCRIPTION, delivery.owner_id)
            if subscription is None:
                continue
            body = delivery.body if delivery.body is not None else render_body(delivery, settings)
            updated = store.update(
                DELIVERY, delivery.id,
                lambda current: dataclasses.replace(current, status=DeliveryStatus.DELIVERING, body=body, sending_since=started,
                                                    version=current.version + 1),
            )
            chosen.append((subscription, updated))
    threads = []
    for subscription, delivery in chosen:
        thread = threading.Thread(
            target=_attempt, args=(store, clock, settings, policy, subscription, delivery),
            name=f"webhook-{delivery.id}", daemon=True,
        )
        thread.start()
        threads.append(thread)
    return threads


def deliver_due(runtime: Any, timeout: float = 10.0) -> int:
    """Dispatch what is due and wait for those attempts to end; returns how many ran (tests, tools)."""
    threads = dispatch_due(runtime)
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return len(threads)

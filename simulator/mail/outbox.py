"""The simulator outbox: every mail the backend "sent", kept in the store (kind "mail").

Nothing leaves the machine. A frontend developer reads a reset token from
`GET /_sim/outbox` instead of a mailbox. Mail ids grow with the send order, so the
id index is also the time index. Past `OUTBOX_LIMIT` the oldest tenth goes at once, so
that the next sends only add a mail: on a shared store trimming scans the outbox (under
the store's lock), which a long load test would otherwise pay on every mail.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from simulator.clock import Clock
from simulator.store import Store, encode_id

MAIL = "mail"
#: Mails kept; the oldest go first (a load test registering 100k customers must not grow memory without bound).
OUTBOX_LIMIT = 10_000
_SEQ = "outbox.seq"


@dataclass(frozen=True, slots=True)
class Mail:
    id: str  # msg_…, ascending with the send order
    owner_id: str  # the recipient, lower case: the per-recipient index
    recipient: str
    subject: str
    text: str
    template: str  # welcome, password_reset, password_changed, …
    links: tuple[str, ...]
    tokens: Mapping[str, str]  # name → value (e.g. reset_token); never mutated: replaced as a whole
    sent_at: datetime
    version: int = 1


def send(
    store: Store,
    clock: Clock,
    *,
    recipient: str,
    subject: str,
    text: str,
    template: str,
    links: Iterable[str] = (),
    tokens: Mapping[str, str] | None = None,
) -> Mail:
    """Put a mail in the outbox, stamped with the simulated time."""

    def put_it() -> Mail:
        mail = Mail(
            id=encode_id("msg", store.next_seq(_SEQ)),
            owner_id=recipient.strip().lower(),
            recipient=recipient.strip(),
            subject=subject,
            text=text,
            template=template,
            links=tuple(links),
            tokens=dict(tokens or {}),
            sent_at=clock.now(),
        )
        store.put(MAIL, mail)
        if not store.count_at_most(MAIL, OUTBOX_LIMIT):
            kept = OUTBOX_LIMIT - max(1, OUTBOX_LIMIT // 10)
            for old_id in store.ids_after(MAIL, None, store.count(MAIL) - kept):
                store.delete(MAIL, old_id)
        return mail

    return store.transaction(put_it)


def list_mails(store: Store, recipient: str | None, page: int, page_size: int) -> tuple[list[Mail], int]:
    """One page of mails, newest first, optionally only those to `recipient` (any case)."""
    if recipient is not None:
        mails = store.by_owner(MAIL, recipient.strip().lower())
    else:
        mails = store.values(MAIL)
    mails.reverse()
    start = (page - 1) * page_size
    return mails[start : start + page_size], len(mails)

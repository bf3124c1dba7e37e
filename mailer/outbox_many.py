"""Queueing many finished messages at once: ``enqueue`` for a batch, in one statement.

The same rules as ``outbox.enqueue``, message by message: once per dedupe key (a key
already queued keeps its row, and its id is returned), the Message-ID and Date fixed on
the message before it is sealed, Bcc kept only in the envelope. A writer that queues a
few dozen messages in one transaction (a rotation's email 1s) sends one INSERT for all
of them instead of a look-up and an insert each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import Message
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailer.outbox import envelope_recipients, insert_or_skip, seal_context
from mailer.schema import QUEUED, outbox, outbox_bodies, to_db_time
from mailer.sealer import Sealer


@dataclass(frozen=True)
class Queued:
    """One message for ``enqueue_many``."""

    message: Message
    dedupe_key: str
    category: str


def _row(item: Queued, at: datetime) -> dict[str, Any]:
    message, key = item.message, item.dedupe_key
    if not key or len(key) > 200:
        raise ValueError("a dedupe key of 1 to 200 characters is required")
    recipients = envelope_recipients(message)
    if not recipients:
        raise ValueError("the message has no recipient address in To, Cc or Bcc")
    del message["Bcc"]
    if message["Message-ID"] is None:
        domain = parseaddr(str(message["From"] or ""))[1].rpartition("@")[2] or "localhost"
        message["Message-ID"] = make_msgid(domain=domain)
    if message["Date"] is None:
        message["Date"] = format_datetime(at)
    return {
        "dedupe_key": key,
        "category": item.category,
        "recipients": ", ".join(recipients),
        "subject": str(message["Subject"] or "")[:500],
        "state": QUEUED,
        "attempts": 0,
        "created_at": at,
        "due_at": at,
        "message_id": str(message["Message-ID"]).strip(),
    }


def enqueue_many(
    session: Session, items: Sequence[Queued], *, now: datetime, sealer: Sealer
) -> list[int]:
    """Queue each message once per dedupe key; the outbox ids, in the order given."""
    if not items:
        return []
    at = to_db_time(now)
    keys = [item.dedupe_key for item in items]
    if len(set(keys)) != len(keys):
        raise ValueError("each message of a batch needs a dedupe key of its own")
    rows = [_row(item, at) for item in items]
    sealed = {
        item.dedupe_key: sealer.seal(item.message.as_bytes(), context=seal_context(item.dedupe_key))
        for item in items
    }
    statement = (
        insert_or_skip(session, outbox)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(outbox.c.id, outbox.c.dedupe_key)
    )
    ids = {key: int(new_id) for new_id, key in session.execute(statement)}
    if ids:  # the bodies of the rows this INSERT made, and of no other
        session.execute(
            outbox_bodies.insert(),
            [{"outbox_id": new_id, "sealed": sealed[key]} for key, new_id in ids.items()],
        )
    missing = [key for key in keys if key not in ids]
    if missing:  # queued before (a rerun), or by another transaction a moment ago
        found = session.execute(
            select(outbox.c.id, outbox.c.dedupe_key).where(outbox.c.dedupe_key.in_(missing))
        )
        ids.update({key: int(old_id) for old_id, key in found})
    return [ids[key] for key in keys]

"""The outbox: queueing finished messages, opening them, and reading how they fared.

Every function works inside the caller's transaction and never commits. A worker's
side (claiming messages, recording how sending went) is in ``mailer.claims``.
"""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from email.message import EmailMessage, Message
from email.utils import format_datetime, getaddresses, make_msgid, parseaddr
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Row, Table, and_, exists, func, select, update
from sqlalchemy.orm import Session

from mailer import claims
from mailer.entry import OutboxEntry, entry_from_row
from mailer.schema import FAILED, QUEUED, STATES, outbox, outbox_bodies, to_db_time
from mailer.sealer import Sealer

if TYPE_CHECKING:
    from sqlalchemy.dialects.postgresql import Insert as PostgresqlInsert
    from sqlalchemy.dialects.sqlite import Insert as SqliteInsert

_MAX_TEXT = 2000


def seal_context(dedupe_key: str) -> bytes:
    return b"mailer/outbox/" + dedupe_key.encode("utf-8")


def envelope_recipients(message: Message) -> list[str]:
    """The bare addresses of To, Cc and Bcc, each once, in order."""
    headers = [str(v) for name in ("To", "Cc", "Bcc") for v in message.get_all(name, [])]
    seen: dict[str, None] = {}
    for _name, address in getaddresses(headers):
        if "@" in address:
            seen.setdefault(address, None)
    return list(seen)


def enqueue(
    session: Session,
    message: Message,
    *,
    dedupe_key: str,
    category: str,
    now: datetime,
    sealer: Sealer,
    due_at: datetime | None = None,
    msgid_domain: str | None = None,
) -> int:
    """Queue ``message`` once per ``dedupe_key`` and return the outbox id.

    Queueing a key that is already in the outbox returns the existing id and changes
    nothing, so a caller that crashed and reran never sends an email twice. The
    Message-ID (and Date) are fixed here, on ``message`` itself, so a resend after a
    crash carries the same Message-ID and receiving systems can drop the duplicate.
    Bcc is taken off the headers and kept only in the envelope.
    """
    if not dedupe_key or len(dedupe_key) > 200:
        raise ValueError("a dedupe key of 1 to 200 characters is required")
    existing = _id_for_key(session, dedupe_key)
    if existing is not None:
        return existing
    recipients = envelope_recipients(message)
    if not recipients:
        raise ValueError("the message has no recipient address in To, Cc or Bcc")
    del message["Bcc"]
    if message["Message-ID"] is None:
        message["Message-ID"] = make_msgid(domain=msgid_domain or _sender_domain(message))
    if message["Date"] is None:
        message["Date"] = format_datetime(to_db_time(now))
    sealed = sealer.seal(message.as_bytes(), context=seal_context(dedupe_key))
    at = to_db_time(now)
    values: dict[str, Any] = {
        "dedupe_key": dedupe_key,
        "category": category,
        "recipients": ", ".join(recipients),
        "subject": str(message["Subject"] or "")[:500],
        "state": QUEUED,
        "attempts": 0,
        "created_at": at,
        "due_at": to_db_time(due_at) if due_at is not None else at,
        "message_id": str(message["Message-ID"]).strip(),
    }
    statement = (
        insert_or_skip(session, outbox)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(outbox.c.id)
    )
    new_id = session.execute(statement).scalar_one_or_none()
    if new_id is None:  # another transaction queued the same key a moment before us
        new_id = _id_for_key(session, dedupe_key)
        assert new_id is not None
        return int(new_id)
    session.execute(outbox_bodies.insert().values(outbox_id=new_id, sealed=sealed))
    return int(new_id)


def insert_or_skip(session: Session, table: Table) -> PostgresqlInsert | SqliteInsert:
    """An INSERT into ``table`` of the session's dialect, which can take ON CONFLICT DO
    NOTHING. Each dialect is imported when first needed: a worker that only sends does
    not pay for them (PostgreSQL's costs ~20 ms of start-up)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


def open_bytes(entry: OutboxEntry, sealer: Sealer, *, default_from: str | None = None) -> bytes:
    """The message as queued (Message-ID and Date fixed, Bcc taken off), ready to send.

    The stored bytes go as they are; only a message queued without a From header is
    parsed, to be given ``default_from``.
    """
    if entry.sealed_message is None:
        raise ValueError(f"outbox message {entry.id} has no stored body (sent or cancelled)")
    data = sealer.open(entry.sealed_message, context=seal_context(entry.dedupe_key))
    if default_from is None or _FROM_HEADER.search(data, 0, _header_end(data)):
        return data
    message = email.message_from_bytes(data, policy=email.policy.default)
    message["From"] = default_from
    return message.as_bytes()


_FROM_HEADER = re.compile(rb"^from[ \t]*:", re.IGNORECASE | re.MULTILINE)


def _header_end(data: bytes) -> int:
    ends = [at for at in (data.find(b"\n\n"), data.find(b"\r\n\r\n")) if at >= 0]
    return min(ends, default=len(data))


def open_message(entry: OutboxEntry, sealer: Sealer) -> EmailMessage:
    message = email.message_from_bytes(open_bytes(entry, sealer), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def _has_body() -> ColumnElement[bool]:
    return exists().where(outbox_bodies.c.outbox_id == outbox.c.id)


def _change(session: Session, condition: ColumnElement[bool], **values: Any) -> int:
    result = session.execute(update(outbox).where(condition).values(**values))
    return int(result.rowcount)  # type: ignore[attr-defined]


def retry_failed(session: Session, entry_ids: Iterable[int], now: datetime) -> list[int]:
    """Queue failed messages again, due now, with a fresh count; return the ids requeued."""
    ids = list(entry_ids)
    if not ids:
        return []
    condition = and_(outbox.c.id.in_(ids), outbox.c.state == FAILED, _has_body())
    requeued = sorted(session.execute(select(outbox.c.id).where(condition)).scalars())
    if requeued:
        _change(
            session,
            and_(outbox.c.id.in_(requeued), outbox.c.state == FAILED),
            state=QUEUED,
            due_at=to_db_time(now),
            attempts=0,
        )
    return requeued


def reseal_all(session: Session, reseal: Callable[[bytes, bytes], bytes]) -> int:
    """Re-encrypt every stored body with ``reseal(sealed, context)``; return how many."""
    ids = session.execute(select(outbox_bodies.c.outbox_id).order_by(outbox_bodies.c.outbox_id))
    count = 0
    for entry_id in list(ids.scalars()):
        row = session.execute(
            select(outbox.c.dedupe_key, outbox_bodies.c.sealed)
            .join_from(outbox_bodies, outbox, outbox_bodies.c.outbox_id == outbox.c.id)
            .where(outbox_bodies.c.outbox_id == entry_id)
        ).one_or_none()
        if row is None:
            continue
        new = reseal(row.sealed, seal_context(row.dedupe_key))
        result = session.execute(
            update(outbox_bodies).where(outbox_bodies.c.outbox_id == entry_id).values(sealed=new)
        )
        count += int(result.rowcount)  # type: ignore[attr-defined]
    return count


# --- reading, for status pages --------------------------------------------------------


# Every column of a message, and its body if it still has one.
_WITH_BODY = select(outbox, outbox_bodies.c.sealed).outerjoin_from(
    outbox, outbox_bodies, outbox_bodies.c.outbox_id == outbox.c.id
)


def _with_body(row: Row[Any]) -> OutboxEntry:
    return entry_from_row(row, row.sealed)


def get(session: Session, entry_id: int) -> OutboxEntry | None:
    row = session.execute(_WITH_BODY.where(outbox.c.id == entry_id)).one_or_none()
    return None if row is None else _with_body(row)


def is_queued(session: Session, dedupe_key: str) -> bool:
    """Whether a message with this dedupe key was ever queued (whatever became of it)."""
    found = session.execute(select(outbox.c.id).where(outbox.c.dedupe_key == dedupe_key)).first()
    return found is not None


def sealed_prefixes(session: Session, length: int) -> list[bytes]:
    """The first ``length`` bytes of every sealed message body (enough for its key id)."""
    query = select(func.substr(outbox_bodies.c.sealed, 1, length))
    return [bytes(prefix) for prefix in session.scalars(query)]


def dedupe_keys_since(session: Session, category: str, since: datetime) -> list[str]:
    """The dedupe keys of the messages of ``category`` queued at or after ``since``."""
    query = select(outbox.c.dedupe_key).where(
        outbox.c.category == category, outbox.c.created_at >= to_db_time(since)
    )
    return list(session.scalars(query))


def by_ids(session: Session, entry_ids: Iterable[int]) -> list[OutboxEntry]:
    ids = list(entry_ids)
    if not ids:
        return []
    rows = session.execute(_WITH_BODY.where(outbox.c.id.in_(ids)).order_by(outbox.c.id))
    return [_with_body(row) for row in rows]


def entries(session: Session, *, state: str | None = None, limit: int = 500) -> list[OutboxEntry]:
    """The newest ``limit`` entries (optionally in one state), oldest first."""
    query = _WITH_BODY.order_by(outbox.c.id.desc()).limit(limit)
    if state is not None:
        query = query.where(outbox.c.state == state)
    return sorted((_with_body(row) for row in session.execute(query)), key=lambda e: e.id)


def backlog(session: Session, now: datetime) -> dict[str, int]:
    """How many messages are in each state, plus ``due``: how many a worker would take now."""
    counts: dict[str, int] = {state.value: 0 for state in STATES}
    rows = session.execute(select(outbox.c.state, func.count()).group_by(outbox.c.state))
    for state, count in rows:
        counts[state] = int(count)
    due = session.execute(select(func.count()).where(claims.due(to_db_time(now)))).scalar_one()
    counts["due"] = int(due)
    return counts


def _id_for_key(session: Session, dedupe_key: str) -> int | None:
    found = session.execute(
        select(outbox.c.id).where(outbox.c.dedupe_key == dedupe_key)
    ).scalar_one_or_none()
    return None if found is None else int(found)


def _sender_domain(message: Message) -> str:
    address = parseaddr(str(message["From"] or ""))[1]
    return address.rpartition("@")[2] or "localhost"

"""A worker's side of the outbox: claiming due messages and recording how sending went.

Every function works inside the caller's transaction and never commits. Claims follow
the rule of a database used as a queue: a row is taken with a conditional UPDATE that
repeats the condition it was selected under, and is kept only when that UPDATE changed
it — so two workers never both own a message. Each recording function repeats the
claim (``sending``, held by this worker) in its UPDATE and reports which rows it
changed: a message whose claim passed on (it expired and another worker took it, or it
was cancelled) is left alone.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    DateTime,
    Integer,
    String,
    and_,
    bindparam,
    delete,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from mailer.backoff import retry_delay
from mailer.entry import OutboxEntry, entry_from_row
from mailer.schema import FAILED, QUEUED, SENDING, SENT, outbox, outbox_bodies, to_db_time

_MAX_TEXT = 2000


def due(now: datetime | BindParameter[datetime]) -> ColumnElement[bool]:
    """Queued with ``due_at`` reached, or ``sending`` under a claim that expired."""
    return or_(
        and_(outbox.c.state == QUEUED, outbox.c.due_at <= now),
        and_(outbox.c.state == SENDING, outbox.c.claim_expires_at < now),
    )


# Claiming, built once: the statements are the same for every batch (the ids go in one
# expanding parameter), so no claim pays for building them and their cache key.
_NOW = bindparam("now", type_=DateTime(timezone=True))
_CLAIMABLE = (
    select(outbox.c.id)
    .where(due(_NOW))
    .order_by(outbox.c.due_at, outbox.c.id)
    .limit(bindparam("limit", type_=Integer))
    .with_for_update(skip_locked=True)  # PostgreSQL only; SQLite locks the file
)
_CLAIM = (
    update(outbox)
    .where(outbox.c.id.in_(bindparam("ids", expanding=True)), due(_NOW))
    .values(
        state=SENDING,
        claimed_by=bindparam("worker_id", type_=String),
        claim_expires_at=bindparam("expires", type_=DateTime(timezone=True)),
        attempts=outbox.c.attempts + 1,
    )
    .returning(*outbox.c)
)
_BODIES = select(outbox_bodies.c.outbox_id, outbox_bodies.c.sealed).where(
    outbox_bodies.c.outbox_id.in_(bindparam("ids", expanding=True))
)


def claim_due(
    session: Session, *, worker_id: str, now: datetime, claim_seconds: int, limit: int
) -> list[OutboxEntry]:
    """Take up to ``limit`` due messages for ``worker_id`` until the claim expires.

    Due: queued with ``due_at`` reached, or ``sending`` under a claim that expired
    (its worker died). Each claim counts as an attempt. One SELECT and one UPDATE,
    whatever the number, which change only the messages' small rows; then one SELECT
    reads their bodies. Returned oldest id first.
    """
    at = to_db_time(now)
    candidates = session.execute(_CLAIMABLE, {"now": at, "limit": limit}).scalars().all()
    if not candidates:
        return []
    parameters = {
        "ids": list(candidates),
        "now": at,
        "worker_id": worker_id,
        "expires": at + timedelta(seconds=claim_seconds),
    }
    rows = session.execute(_CLAIM, parameters).all()
    if not rows:
        return []
    found = session.execute(_BODIES, {"ids": sorted(row.id for row in rows)})
    bodies = {int(entry_id): sealed for entry_id, sealed in found}
    entries = (entry_from_row(row, bodies.get(row.id)) for row in rows)
    return sorted(entries, key=lambda entry: entry.id)


def _held(entry_ids: Sequence[int], worker_id: str) -> ColumnElement[bool]:
    return and_(
        outbox.c.id.in_(entry_ids), outbox.c.state == SENDING, outbox.c.claimed_by == worker_id
    )


def _change(session: Session, condition: ColumnElement[bool], **values: Any) -> int:
    result = session.execute(update(outbox).where(condition).values(**values))
    return int(result.rowcount)  # type: ignore[attr-defined]


# Run just before each message goes (a few at a time): built once, like the recording's.
_STILL_HELD = select(outbox.c.id).where(
    outbox.c.id.in_(bindparam("ids", expanding=True)),
    outbox.c.state == SENDING,
    outbox.c.claimed_by == bindparam("worker_id"),
)


def still_held(session: Session, entry_ids: Iterable[int], worker_id: str) -> set[int]:
    """Which of these messages ``worker_id`` still holds (not cancelled nor taken over)."""
    ids = sorted(set(entry_ids))
    if not ids:
        return set()
    found = session.execute(_STILL_HELD, {"ids": ids, "worker_id": worker_id}).scalars()
    return {int(entry_id) for entry_id in found}


# Recording deliveries, built once: the statements are the same for every batch (the
# ids go in one expanding parameter), so no batch pays for building and compiling them.
_MARK_SENT = (
    update(outbox)
    .where(
        outbox.c.id.in_(bindparam("ids", expanding=True)),
        outbox.c.state == SENDING,
        outbox.c.claimed_by == bindparam("worker_id"),
    )
    .values(state=SENT, sent_at=bindparam("now"), claim_expires_at=None)
    .returning(outbox.c.id)
)
_DROP_BODIES = delete(outbox_bodies).where(
    outbox_bodies.c.outbox_id.in_(bindparam("ids", expanding=True))
)
_KEEP_ANSWER = (
    update(outbox)
    .where(outbox.c.id == bindparam("entry_id"))
    .values(smtp_response=bindparam("answer"))
)


def mark_sent_many(
    session: Session, worker_id: str, answers: dict[int, str], *, now: datetime
) -> set[int]:
    """Record delivery of every message in ``answers`` (id: the server's answer) and drop
    their bodies (nothing left to protect): one UPDATE for the state, the answers of the
    rows it changed in one more (executemany), and one DELETE of their bodies. Returns
    the ids changed; any other had lost its claim."""
    if not answers:
        return set()
    found = session.execute(
        _MARK_SENT, {"ids": sorted(answers), "worker_id": worker_id, "now": to_db_time(now)}
    ).scalars()
    changed = {int(entry_id) for entry_id in found}
    if changed:
        session.execute(
            _KEEP_ANSWER,
            [
                {"entry_id": entry_id, "answer": answers[entry_id][:_MAX_TEXT]}
                for entry_id in sorted(changed)
            ],
        )
        session.execute(_DROP_BODIES, {"ids": sorted(changed)})
    return changed


def mark_sent(
    session: Session, entry_id: int, worker_id: str, *, smtp_response: str, now: datetime
) -> bool:
    """Record delivery of one message. False: its claim was lost."""
    return bool(mark_sent_many(session, worker_id, {entry_id: smtp_response}, now=now))


def mark_retry(
    session: Session,
    entry_id: int,
    worker_id: str,
    *,
    error: str,
    now: datetime,
    rng: random.Random,
    max_attempts: int,
) -> str | None:
    """Put a temporary failure back with a backoff; return the new state (None: claim lost).

    After ``max_attempts`` attempts the message is failed for good.
    """
    held = _held([entry_id], worker_id)
    attempts = session.execute(select(outbox.c.attempts).where(held)).scalar_one_or_none()
    if attempts is None:
        return None
    if attempts >= max_attempts:
        error = f"{error} (gave up after {attempts} attempts)"
        changed = _change(
            session, held, state=FAILED, last_error=error[:_MAX_TEXT], claim_expires_at=None
        )
        return FAILED if changed else None
    changed = _change(
        session,
        held,
        state=QUEUED,
        due_at=to_db_time(now) + retry_delay(attempts, rng),
        last_error=error[:_MAX_TEXT],
        claim_expires_at=None,
    )
    return QUEUED if changed else None


def mark_failed(
    session: Session, entry_id: int, worker_id: str, *, error: str, now: datetime
) -> bool:
    """A permanent failure; the body is kept so an operator can retry after fixing it."""
    changed = _change(
        session,
        _held([entry_id], worker_id),
        state=FAILED,
        last_error=error[:_MAX_TEXT],
        claim_expires_at=None,
    )
    return changed == 1


def release(session: Session, entry_ids: Iterable[int], worker_id: str) -> int:
    """Hand back claims that were never attempted (shutdown); the attempt is not counted."""
    ids = sorted(set(entry_ids))
    if not ids:
        return 0
    return _change(
        session,
        _held(ids, worker_id),
        state=QUEUED,
        attempts=outbox.c.attempts - 1,
        claim_expires_at=None,
    )

"""Cancelling messages that should no longer go: by outbox id or by dedupe-key tag.

The outbox does not know why a message must not go; the caller decides which ones
(by the ids it kept, by exact dedupe keys, or by a key prefix — a *tag* such as
``"reminder:delivery-7:"``). Every unsent message (queued, claimed for sending, or
failed with its body kept for a retry) is marked ``cancelled`` and its sealed body
dropped, inside the caller's transaction. A worker that claimed one before checks its
claim again just before sending (``still_claimed``) and leaves it alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, delete, false, or_, select, update
from sqlalchemy.orm import Session

from mailer.schema import CANCELLED, SENDING, UNSENT, outbox, outbox_bodies, to_db_time

_MAX_TEXT = 2000


@dataclass(frozen=True)
class Cancelled:
    id: int
    category: str
    state_before: str


def _matching(
    ids: Iterable[int], dedupe_keys: Iterable[str], key_prefixes: Iterable[str]
) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = []
    id_list = sorted(set(ids))
    key_list = sorted(set(dedupe_keys))
    if id_list:
        conditions.append(outbox.c.id.in_(id_list))
    if key_list:
        conditions.append(outbox.c.dedupe_key.in_(key_list))
    for prefix in sorted(set(key_prefixes)):
        if not prefix:
            raise ValueError("an empty key prefix would cancel every message")
        conditions.append(outbox.c.dedupe_key.startswith(prefix, autoescape=True))
    return or_(*conditions) if conditions else false()


def cancel(
    session: Session,
    *,
    ids: Iterable[int] = (),
    dedupe_keys: Iterable[str] = (),
    key_prefixes: Iterable[str] = (),
    reason: str,
    now: datetime,
) -> list[Cancelled]:
    """Cancel every unsent message matching any of the ids, keys or prefixes.

    Sent and already cancelled messages are left as they are. Returns what was
    cancelled, oldest first; ``reason`` is kept as the message's last error.
    """
    condition = _matching(ids, dedupe_keys, key_prefixes)
    rows = session.execute(
        select(outbox.c.id, outbox.c.category, outbox.c.state)
        .where(condition, outbox.c.state.in_(UNSENT))
        .order_by(outbox.c.id)
        .with_for_update()
    ).all()
    found = [Cancelled(int(row.id), str(row.category), str(row.state)) for row in rows]
    if found:
        ids = [c.id for c in found]
        session.execute(
            update(outbox)
            .where(outbox.c.id.in_(ids), outbox.c.state.in_(UNSENT))
            .values(
                state=CANCELLED,
                claim_expires_at=None,
                last_error=f"cancelled {to_db_time(now).isoformat()}: {reason}"[:_MAX_TEXT],
            )
        )
        session.execute(delete(outbox_bodies).where(outbox_bodies.c.outbox_id.in_(ids)))
    return found


def count_cancelled(
    session: Session,
    *,
    ids: Iterable[int] = (),
    dedupe_keys: Iterable[str] = (),
    key_prefixes: Iterable[str] = (),
) -> int:
    """How many messages matching the ids, keys or prefixes are cancelled."""
    found = session.execute(
        select(outbox.c.id).where(
            _matching(ids, dedupe_keys, key_prefixes), outbox.c.state == CANCELLED
        )
    ).all()
    return len(found)


def still_claimed(session: Session, entry_id: int, worker_id: str) -> bool:
    """Whether ``worker_id`` still holds its claim: not cancelled nor taken over since."""
    state = session.execute(
        select(outbox.c.state).where(outbox.c.id == entry_id, outbox.c.claimed_by == worker_id)
    ).scalar_one_or_none()
    return state == SENDING

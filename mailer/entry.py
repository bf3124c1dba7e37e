"""One outbox row, as the rest of the program sees it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mailer.schema import MessageState, from_db_time


@dataclass(frozen=True)
class OutboxEntry:
    id: int
    dedupe_key: str
    category: str
    recipients: tuple[str, ...]
    subject: str
    state: MessageState
    attempts: int
    created_at: datetime
    due_at: datetime
    claimed_by: str | None
    claim_expires_at: datetime | None
    sent_at: datetime | None
    message_id: str | None
    smtp_response: str | None
    last_error: str | None
    # Sealed, never shown (from ``outbox_bodies``); None once the message was sent or
    # cancelled, or when it was read without it.
    sealed_message: bytes | None = field(default=None, repr=False)

    @property
    def recipient_domains(self) -> tuple[str, ...]:
        """What logs may show of the recipients."""
        return tuple(sorted({address.rpartition("@")[2] for address in self.recipients}))

    @property
    def has_body(self) -> bool:
        return self.sealed_message is not None


def entry_from_row(row: Any, sealed: bytes | None = None) -> OutboxEntry:
    """The entry of an ``outbox`` row, with its sealed body if one is given."""
    created_at = from_db_time(row.created_at)
    due_at = from_db_time(row.due_at)
    assert created_at is not None and due_at is not None
    return OutboxEntry(
        id=row.id,
        dedupe_key=row.dedupe_key,
        category=row.category,
        recipients=tuple(a.strip() for a in row.recipients.split(",") if a.strip()),
        subject=row.subject,
        state=MessageState(row.state),
        attempts=row.attempts,
        created_at=created_at,
        due_at=due_at,
        claimed_by=row.claimed_by,
        claim_expires_at=from_db_time(row.claim_expires_at),
        sent_at=from_db_time(row.sent_at),
        message_id=row.message_id,
        smtp_response=row.smtp_response,
        last_error=row.last_error,
        sealed_message=None if sealed is None else bytes(sealed),
    )

"""The mail outbox as the use cases see it: the mailer's own API, inside this transaction.

The mailer knows nothing of codes and owns its table and queries; this repository only
binds them to the unit of work's session, so a use case never holds a session itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from email.message import Message

from sqlalchemy.orm import Session

from mailer import outbox, outbox_cancel, outbox_many
from mailer.entry import OutboxEntry
from mailer.outbox_cancel import Cancelled
from mailer.outbox_many import Queued
from mailer.sealer import Sealer


class OutboxRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def enqueue(
        self,
        message: Message,
        *,
        dedupe_key: str,
        category: str,
        now: datetime,
        sealer: Sealer,
        due_at: datetime | None = None,
    ) -> int:
        """Queue a finished message once per dedupe key; the id of the (existing) row."""
        return outbox.enqueue(
            self.session,
            message,
            dedupe_key=dedupe_key,
            category=category,
            now=now,
            sealer=sealer,
            due_at=due_at,
        )

    def enqueue_many(self, items: Sequence[Queued], *, now: datetime, sealer: Sealer) -> list[int]:
        """``enqueue`` for a batch, in one statement; the ids in the order given."""
        return outbox_many.enqueue_many(self.session, items, now=now, sealer=sealer)

    def by_ids(self, entry_ids: Iterable[int]) -> list[OutboxEntry]:
        return outbox.by_ids(self.session, entry_ids)

    def backlog(self, now: datetime) -> dict[str, int]:
        """Messages in each state, plus ``due``: how many a worker would take now."""
        return outbox.backlog(self.session, now)

    def is_queued(self, dedupe_key: str) -> bool:
        return outbox.is_queued(self.session, dedupe_key)

    def dedupe_keys_since(self, category: str, since: datetime) -> list[str]:
        return outbox.dedupe_keys_since(self.session, category, since)

    def cancel(
        self,
        *,
        ids: Iterable[int] = (),
        dedupe_keys: Iterable[str] = (),
        key_prefixes: Iterable[str] = (),
        reason: str,
        now: datetime,
    ) -> list[Cancelled]:
        """Cancel the unsent messages matching any of these; what was cancelled."""
        return outbox_cancel.cancel(
            self.session,
            ids=ids,
            dedupe_keys=dedupe_keys,
            key_prefixes=key_prefixes,
            reason=reason,
            now=now,
        )

    def count_cancelled(
        self,
        *,
        ids: Iterable[int] = (),
        dedupe_keys: Iterable[str] = (),
        key_prefixes: Iterable[str] = (),
    ) -> int:
        return outbox_cancel.count_cancelled(
            self.session, ids=ids, dedupe_keys=dedupe_keys, key_prefixes=key_prefixes
        )

    def reseal_all(self, reseal: Callable[[bytes, bytes], bytes]) -> int:
        """Re-seal every sealed message body with ``reseal(sealed, context)``; how many."""
        return outbox.reseal_all(self.session, reseal)

    def sealed_prefixes(self, length: int) -> list[bytes]:
        return outbox.sealed_prefixes(self.session, length)

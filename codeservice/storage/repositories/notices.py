"""Notices to every SPoC: who they go to, what was sent, and how delivery went."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from codeservice.storage.models import Notice, NoticeRecipient, Provider, Spoc
from mailer.schema import outbox


@dataclass(frozen=True)
class RecipientMail:
    """A notice's recipient with the state of their email in the outbox."""

    recipient: NoticeRecipient
    state: str
    attempts: int
    last_error: str | None


class NoticeRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def audience(self) -> list[Spoc]:
        """Every active SPoC of an active prime provider, by provider ref."""
        query = (
            select(Spoc)
            .join(Provider, Spoc.provider_id == Provider.id)
            .where(Spoc.active.is_(True), Provider.active.is_(True), Provider.prime_id.is_(None))
            .options(joinedload(Spoc.provider))
            .order_by(Provider.ref, Spoc.id)
        )
        return list(self.session.scalars(query))

    def audience_size(self) -> int:
        query = (
            select(func.count(Spoc.id))
            .join(Provider, Spoc.provider_id == Provider.id)
            .where(Spoc.active.is_(True), Provider.active.is_(True), Provider.prime_id.is_(None))
        )
        return int(self.session.scalar(query) or 0)

    def by_key(self, key: str) -> Notice | None:
        return self.session.scalar(select(Notice).where(Notice.key == key))

    def get(self, notice_id: int) -> Notice | None:
        return self.session.get(Notice, notice_id)

    def add(self, notice: Notice) -> None:
        self.session.add(notice)
        self.session.flush()

    def add_recipient(self, recipient: NoticeRecipient) -> None:
        self.session.add(recipient)

    def recent(self, limit: int = 200) -> list[tuple[Notice, int]]:
        """The latest notices first, each with how many SPoCs it went to."""
        counts = (
            select(NoticeRecipient.notice_id, func.count(NoticeRecipient.id).label("n"))
            .group_by(NoticeRecipient.notice_id)
            .subquery()
        )
        query = (
            select(Notice, func.coalesce(counts.c.n, 0))
            .outerjoin(counts, counts.c.notice_id == Notice.id)
            .order_by(Notice.created_at.desc(), Notice.id.desc())
            .limit(limit)
        )
        return [(notice, int(count)) for notice, count in self.session.execute(query)]

    def mail_of(self, notice_id: int) -> list[RecipientMail]:
        """Each recipient of a notice (SPoC and provider loaded) and its email's state."""
        query = (
            select(NoticeRecipient, outbox.c.state, outbox.c.attempts, outbox.c.last_error)
            .join(outbox, outbox.c.id == NoticeRecipient.message_id)
            .join(Spoc, Spoc.id == NoticeRecipient.spoc_id)
            .join(Provider, Provider.id == Spoc.provider_id)
            .where(NoticeRecipient.notice_id == notice_id)
            .options(joinedload(NoticeRecipient.spoc).joinedload(Spoc.provider))
            .order_by(Provider.ref, Spoc.id)
        )
        return [
            RecipientMail(recipient, str(state), int(attempts), last_error)
            for recipient, state, attempts, last_error in self.session.execute(query)
        ]

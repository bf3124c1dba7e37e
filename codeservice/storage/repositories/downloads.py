"""Files waiting for their one download (see ``storage.models.downloads``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from codeservice.storage.models import OneTimeDownload


@dataclass(frozen=True)
class TakenRow:
    """What a take returns: the row's fields, read by the DELETE that removed it."""

    filename: str
    media_type: str
    sealed_content: bytes


class DownloadRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: OneTimeDownload) -> None:
        self.session.add(row)
        self.session.flush()

    def purge_expired(self, now: datetime) -> int:
        outcome = self.session.execute(
            delete(OneTimeDownload)
            .where(OneTimeDownload.expires_at <= now)
            .execution_options(synchronize_session=False)
        )
        return int(outcome.rowcount)  # type: ignore[attr-defined]

    def keep_newest(self, *, owner: str | None, keep: int) -> int:
        """Delete all but the ``keep`` newest rows (of ``owner``, or of everyone)."""
        newest = select(OneTimeDownload.id).order_by(
            OneTimeDownload.created_at.desc(), OneTimeDownload.id.desc()
        )
        doomed = delete(OneTimeDownload)
        if owner is not None:
            newest = newest.where(OneTimeDownload.owner == owner)
            doomed = doomed.where(OneTimeDownload.owner == owner)
        kept = list(self.session.scalars(newest.limit(keep)))
        outcome = self.session.execute(
            doomed.where(OneTimeDownload.id.not_in(kept)).execution_options(
                synchronize_session=False
            )
        )
        return int(outcome.rowcount)  # type: ignore[attr-defined]

    def take(self, digest: bytes, *, owner: str, now: datetime) -> TakenRow | None:
        """Delete the owner's unexpired row and return it; None if there was none.

        One statement, so two processes taking at once cannot both get it: on
        PostgreSQL the second DELETE waits for the first's row lock and then finds the
        row gone; SQLite runs one writer at a time (BEGIN IMMEDIATE).
        """
        outcome = self.session.execute(
            delete(OneTimeDownload)
            .where(
                OneTimeDownload.ticket_digest == digest,
                OneTimeDownload.owner == owner,
                OneTimeDownload.expires_at > now,
            )
            .returning(
                OneTimeDownload.filename,
                OneTimeDownload.media_type,
                OneTimeDownload.content,
            )
            .execution_options(synchronize_session=False)
        )
        found = outcome.one_or_none()
        if found is None:
            return None
        return TakenRow(filename=found[0], media_type=found[1], sealed_content=found[2])

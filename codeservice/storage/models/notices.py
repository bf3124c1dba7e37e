"""Notices: what the BMT told every SPoC at once (§56), and to whom it went."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from codeservice.storage.base import Base, UTCDateTime
from codeservice.storage.models.register import Spoc


class Notice(Base):
    """One notice. ``key`` is the id its preview made: a confirm sent twice finds it."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)
    subject: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    sent_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    recipients: Mapped[list[NoticeRecipient]] = relationship(
        back_populates="notice", order_by="NoticeRecipient.id"
    )


class NoticeRecipient(Base):
    """A SPoC a notice went to, and its email in the outbox."""

    __tablename__ = "notice_recipients"
    __table_args__ = (UniqueConstraint("notice_id", "spoc_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"), index=True)
    spoc_id: Mapped[int] = mapped_column(ForeignKey("spocs.id"), index=True)
    message_id: Mapped[int] = mapped_column(Integer)

    notice: Mapped[Notice] = relationship(back_populates="recipients")
    spoc: Mapped[Spoc] = relationship()

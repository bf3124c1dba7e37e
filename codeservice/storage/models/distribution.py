"""Deliveries: one per SPoC per access code — email 1, acknowledgement, email 2."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from codeservice.storage.base import Base, UTCDateTime
from codeservice.storage.models.codes import AccessCode
from codeservice.storage.models.register import Spoc


class Delivery(Base):
    """Getting one access code's document and unlock code to one SPoC.

    The acknowledgement link's token lives in ``link_tokens`` (digest only); a resend
    replaces it, which kills the old link.
    """

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("access_code_id", "spoc_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    access_code_id: Mapped[int] = mapped_column(ForeignKey("access_codes.id"), index=True)
    spoc_id: Mapped[int] = mapped_column(ForeignKey("spocs.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    document_message_id: Mapped[int | None] = mapped_column(Integer)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_ip: Mapped[str | None] = mapped_column(String(64))
    acknowledged_user_agent: Mapped[str | None] = mapped_column(String(512))
    unlock_message_id: Mapped[int | None] = mapped_column(Integer)

    access_code: Mapped[AccessCode] = relationship()
    spoc: Mapped[Spoc] = relationship()

"""Link tokens handed out in emails, kept only as SHA-256 digests.

One row per token ever issued, so that a link that has been replaced (a resend, a
reissue) is recognised and answered with "replaced" rather than "unknown".
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from codeservice.domain.tokens import TokenPurpose
from codeservice.storage.base import Base, UTCDateTime, state_column
from codeservice.storage.models.distribution import Delivery
from codeservice.storage.models.register import Spoc


class LinkToken(Base):
    __tablename__ = "link_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    purpose: Mapped[TokenPurpose] = mapped_column(state_column(TokenPurpose, 32))
    spoc_id: Mapped[int] = mapped_column(ForeignKey("spocs.id"), index=True)
    delivery_id: Mapped[int | None] = mapped_column(ForeignKey("deliveries.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    replaced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replaced_reason: Mapped[str | None] = mapped_column(String(32))  # "resent", "reissued"

    spoc: Mapped[Spoc] = relationship()
    delivery: Mapped[Delivery | None] = relationship()

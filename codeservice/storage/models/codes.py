"""Access codes, sealed at rest."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from codeservice.domain.calendar import Cycle
from codeservice.domain.codes import CodeState
from codeservice.storage.base import Base, CycleText, UTCDateTime, state_column
from codeservice.storage.models.register import Provider


class AccessCode(Base):
    """One provider's code for one cycle.

    ``sealed_code`` and ``sealed_unlock`` are AES-256-GCM envelopes (see
    ``codeservice.crypto.keyring``) bound to the provider and cycle; ``fingerprint`` is
    an HMAC of the code under a key kept outside the database, unique forever, so a new
    code can be checked against every code ever issued without decrypting history.
    """

    __tablename__ = "access_codes"
    __table_args__ = (
        # At most one code per provider and cycle that has not been revoked.
        Index(
            "uq_access_codes_provider_cycle_live",
            "provider_id",
            "cycle",
            unique=True,
            sqlite_where=text("state != 'revoked'"),
            postgresql_where=text("state != 'revoked'"),
        ),
        # The code in force: the newest a provider has from its start on, without a sort.
        Index("ix_access_codes_provider_active_from", "provider_id", "active_from"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    cycle: Mapped[Cycle] = mapped_column(CycleText, index=True)
    state: Mapped[CodeState] = mapped_column(state_column(CodeState, 16))
    fingerprint: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    sealed_code: Mapped[bytes] = mapped_column(LargeBinary)
    sealed_unlock: Mapped[bytes] = mapped_column(LargeBinary)
    key_id: Mapped[str] = mapped_column(String(32))
    document_ref: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    active_from: Mapped[datetime] = mapped_column(UTCDateTime)
    active_until: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("access_codes.id"))

    provider: Mapped[Provider] = relationship()

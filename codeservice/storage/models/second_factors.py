"""Staff second factors: authenticator apps (TOTP), security keys (WebAuthn), recovery
codes, and the challenges of a ceremony under way.

A TOTP key is kept sealed by the keyring (bound to its account); a WebAuthn credential
is its id and public key (public, as the name says) with the authenticator's sign count.
A recovery code is kept only as a keyed hash. A challenge (a TOTP key waiting to be
confirmed, a WebAuthn challenge) is sealed, one per account and purpose, and deleted
when it is used.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from codeservice.storage.base import Base, UTCDateTime


class SecondFactor(Base):
    __tablename__ = "staff_second_factors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # FactorKind: totp | webauthn
    name: Mapped[str] = mapped_column(String(64))
    totp_key_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    last_totp_step: Mapped[int | None] = mapped_column(BigInteger)
    credential_id: Mapped[bytes | None] = mapped_column(LargeBinary(1024), unique=True)
    public_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    sign_count: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RecoveryCode(Base):
    __tablename__ = "staff_recovery_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), index=True)
    digest: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class FactorChallenge(Base):
    __tablename__ = "staff_factor_challenges"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    purpose: Mapped[str] = mapped_column(String(32))
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("user_id", "purpose"),)

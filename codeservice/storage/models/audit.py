"""The append-only audit trail, chained by keyed hashes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from codeservice.storage.base import Base, UTCDateTime


class AuditRecord(Base):
    __tablename__ = "audit_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(128), index=True)
    source: Mapped[str] = mapped_column(String(255))
    details: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    # 1: ``hash`` covers every field; 2: personal fields are chained through
    # ``personal_hash`` (salted with ``personal_salt``) so retention can blank them.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    personal_salt: Mapped[str | None] = mapped_column(String(32))
    personal_hash: Mapped[str | None] = mapped_column(String(64))
    # Set when retention redacted the record's personal fields: ``redaction_seal`` then
    # vouches for what is left of a version 1 record, and ``hash`` still links the chain.
    redacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    redaction_seal: Mapped[str | None] = mapped_column(String(64))

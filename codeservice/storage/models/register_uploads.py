"""A register CSV uploaded in the browser, kept between its preview and its apply."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from codeservice.storage.base import Base, UTCDateTime


class RegisterUpload(Base):
    """The bytes previewed, bound by ``key`` to the preview page's "Apply" button.

    ``register_state`` is the register's fingerprint when the preview was made: an
    apply on a register changed since is refused. ``applied_at`` set: applied once
    (``result`` holds the summary, ``data`` is emptied).
    """

    __tablename__ = "register_uploads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    prune: Mapped[bool] = mapped_column(Boolean)
    register_state: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    result: Mapped[str | None] = mapped_column(Text)

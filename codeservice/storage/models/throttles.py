"""Sign-in failures counted per typed name (with no account) and per client address.

The key is a keyed hash (HMAC under the keyring's fingerprint key) of the name or the
address, so the table never holds what was typed or where it came from.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from codeservice.storage.base import Base, UTCDateTime


class SignInThrottle(Base):
    """``kind`` 'name': a typed username that has no account, counted like an account
    (``failures`` in a row, ``locked_until``). ``kind`` 'address': a client address'
    failures in the window from ``window_started``.

    ``kind`` 'pair': one name from one address, counted like an account; ``name_hash``
    (the name's key) lets an administrator's unlock forget them all.

    ``forget_at`` is when the row stops meaning anything (a lock or window ran out);
    rows past it are deleted. A name row that is not locked has none: like an
    account's count, it lasts until the lock it leads to runs out.
    """

    __tablename__ = "sign_in_throttles"
    __table_args__ = (
        CheckConstraint("kind IN ('name', 'pair', 'address')", name="kind"),
        UniqueConstraint("kind", "key_hash"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    key_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    failures: Mapped[int] = mapped_column(Integer)
    window_started: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    forget_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    name_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32), index=True)

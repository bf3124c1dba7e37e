"""Files waiting to be downloaded once, shared by every web process.

The BMT's helpline export is shown on one request and fetched by a second POST that a
load balancer may send to another process, so the file waits here rather than in a
process's memory. Only the SHA-256 digest of the ticket is kept, and the file itself is
sealed with the keyring, bound to that digest: the row is useless without both the
ticket and the key file. Rows live minutes; taking one deletes it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from codeservice.storage.base import Base, UTCDateTime


class OneTimeDownload(Base):
    __tablename__ = "one_time_downloads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_digest: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    owner: Mapped[str] = mapped_column(String(255), index=True)  # the actor, "user:ann"
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)  # sealed: download_context(digest)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

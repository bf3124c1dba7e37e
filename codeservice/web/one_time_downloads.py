"""Files handed out once, to the person who asked for them, soon or never.

The helpline export page shows the unlock code and offers the file; the file waits
here, in this process's memory only, under the digest of a random ticket that is
sent back in a form (never in a URL). Taking it removes it; so does time.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

LIFETIME = timedelta(minutes=10)
MAX_WAITING = 100


@dataclass(frozen=True)
class Download:
    owner: str
    filename: str
    media_type: str
    content: bytes = field(repr=False)
    expires_at: datetime


class OneTimeDownloads:
    def __init__(self, lifetime: timedelta = LIFETIME) -> None:
        self.lifetime = lifetime
        self._lock = threading.Lock()
        self._waiting: dict[bytes, Download] = {}

    def put(
        self, *, owner: str, filename: str, media_type: str, content: bytes, now: datetime
    ) -> str:
        """Keep the file; return the ticket that takes it."""
        ticket = secrets.token_urlsafe(32)
        download = Download(owner, filename, media_type, content, now + self.lifetime)
        with self._lock:
            self._drop_expired(now)
            while len(self._waiting) >= MAX_WAITING:
                self._waiting.pop(next(iter(self._waiting)))
            self._waiting[_digest(ticket)] = download
        return ticket

    def take(self, ticket: str, *, owner: str, now: datetime) -> Download | None:
        """The file, once, for its owner before it expires; None otherwise."""
        key = _digest(ticket)
        with self._lock:
            self._drop_expired(now)
            download = self._waiting.get(key)
            if download is None or download.owner != owner:
                return None
            del self._waiting[key]
            return download

    def _drop_expired(self, now: datetime) -> None:
        for key in [k for k, d in self._waiting.items() if d.expires_at <= now]:
            del self._waiting[key]


def _digest(ticket: str) -> bytes:
    return hashlib.sha256(ticket.encode("utf-8", "replace")).digest()

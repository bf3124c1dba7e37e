"""What the outbox needs to keep message bodies unreadable in the database."""

from __future__ import annotations

from typing import Protocol


class Sealer(Protocol):
    """Authenticated encryption bound to a context (the outbox passes the row's key).

    The application's keyring satisfies this; the outbox never sees a key.
    """

    def seal(self, plaintext: bytes, *, context: bytes) -> bytes: ...

    def open(self, sealed: bytes, *, context: bytes) -> bytes: ...

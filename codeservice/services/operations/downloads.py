"""Files handed out once, to the person who asked for them, soon or never.

The helpline export page shows the unlock code and offers the file; the second POST
that fetches it may reach another web process (docs/operations.md), so the file waits
in the database — sealed with the keyring, bound to the ticket's digest — not in one
process's memory. The ticket goes back in a form (never a URL) and only its SHA-256
digest is stored. Taking is one DELETE … RETURNING: exactly once, for its owner,
before it expires, however many processes try at the same moment.

Nothing here logs or audits the ticket or the file: the export itself is audited by
``services.export``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from codeservice.crypto.keyring import Keyring, download_context
from codeservice.domain.tokens import issue_token, looks_like_token, token_digest
from codeservice.storage.models import OneTimeDownload
from codeservice.storage.uow import UnitOfWork

LIFETIME = timedelta(minutes=10)
MAX_PER_OWNER = 5  # a person waits for one file; a few allow for another tab
MAX_WAITING = 100  # and the table stays small whatever happens


@dataclass(frozen=True)
class Download:
    filename: str
    media_type: str
    content: bytes = field(repr=False)


def hold_download(
    uow: UnitOfWork,
    keyring: Keyring,
    *,
    owner: str,
    filename: str,
    media_type: str,
    content: bytes,
    now: datetime,
) -> str:
    """Keep the file for ``owner``, in the caller's transaction (the caller commits);
    return the ticket (shown once) that takes it.

    Expired files go first; then the owner's oldest beyond ``MAX_PER_OWNER`` and
    everyone's oldest beyond ``MAX_WAITING``, so the table cannot grow without bound.
    """
    issued = issue_token()
    sealed = keyring.seal(content, context=download_context(issued.digest))
    uow.downloads.purge_expired(now)
    uow.downloads.keep_newest(owner=owner, keep=MAX_PER_OWNER - 1)
    uow.downloads.keep_newest(owner=None, keep=MAX_WAITING - 1)
    uow.downloads.add(
        OneTimeDownload(
            ticket_digest=issued.digest,
            owner=owner,
            filename=filename,
            media_type=media_type,
            content=sealed,
            created_at=now,
            expires_at=now + LIFETIME,
        )
    )
    return issued.token


def take_download(
    uow: UnitOfWork, keyring: Keyring, ticket: str, *, owner: str, now: datetime
) -> Download | None:
    """The file, once, for its owner before it expires; None otherwise. In the caller's
    transaction, which commits the taking (and the purge of expired files).

    A wrong owner takes nothing and leaves the file for its owner. Expired files are
    deleted here as well as when one is held: neither waits for a scheduler. A file
    that cannot be opened raises before the caller commits, so it is not used up.
    """
    if not looks_like_token(ticket):
        return None
    digest = token_digest(ticket)
    taken = uow.downloads.take(digest, owner=owner, now=now)
    uow.downloads.purge_expired(now)
    if taken is None:
        return None
    content = keyring.open(taken.sealed_content, context=download_context(digest))
    return Download(filename=taken.filename, media_type=taken.media_type, content=content)

"""Keeping the audit anchor up with the trail, in the same flow as each append's commit.

A session made by the container carries the ``AnchorFile`` in its ``info``. When a
record is appended, the session remembers the new head. Just before the commit (SQL
still allowed) it checks that the head follows on from the anchored record; right
after the commit it moves the anchor forward under the file's lock — never backwards,
so concurrent writers in several processes are safe. Within a process the writes are
grouped (``AnchorFile.advance``): the commits that come while one anchor is written
wait for it, then one write takes the newest head of them all.

The crash window: a process that dies after the database commit and before the anchor
is written leaves the anchor behind the trail. ``audit verify`` then reports the
records after the anchored one as "not anchored yet" (they still follow on from it,
so this is not a failure) and the next append anchors them. A failure to write the
anchor is logged and never undoes the commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from codeservice.crypto.anchor_file import SESSION_INFO_KEY, AnchorFile, AnchorFileError
from codeservice.domain.audit_anchor import (
    Anchor,
    AnchorUnreadable,
    ChainHead,
    anchor_is_genuine,
    anchor_text,
    make_anchor,
    may_advance,
    parse_anchor,
)
from codeservice.storage.repositories.audit import AuditRepository

log = logging.getLogger(__name__)

_PENDING = "codeservice.audit_pending"
_ADVANCE = "codeservice.audit_advance"
CREATE_ANCHOR = "codeservice.audit_create_anchor"  # set by ``audit anchor`` on its session


@dataclass(frozen=True)
class _Pending:
    first_seq: int
    head: ChainHead
    key: bytes
    follows: ChainHead | None = None  # the record the first append follows on from


def note_append(
    session: Session, key: bytes, seq: int, chain_hash: str, prev_hash: str | None = None
) -> None:
    """Remember the head this transaction will leave (if the session has an anchor);
    ``prev_hash``, the hash the record follows on from, saves reading it again."""
    if not isinstance(session.info.get(SESSION_INFO_KEY), AnchorFile):
        return
    pending = session.info.get(_PENDING)
    if pending is None:
        follows = None if prev_hash is None else ChainHead(seq - 1, prev_hash)
        pending = _Pending(seq, ChainHead(seq, chain_hash), key, follows)
    session.info[_PENDING] = _Pending(
        pending.first_seq, ChainHead(seq, chain_hash), key, pending.follows
    )


def read_anchor(anchor_file: AnchorFile) -> tuple[Anchor | None, str | None]:
    """The anchor and None, or None and why it cannot be read (no file: None, None)."""
    text = anchor_file.read()
    if text is None:
        return None, None
    try:
        return parse_anchor(text), None
    except AnchorUnreadable as problem:
        return None, str(problem)


def _before_commit(session: Session) -> None:
    pending: _Pending | None = session.info.get(_PENDING)
    anchor_file = session.info.get(SESSION_INFO_KEY)
    if pending is None or not isinstance(anchor_file, AnchorFile):
        return
    try:
        current, unreadable = read_anchor(anchor_file)
    except AnchorFileError as problem:
        log.error("the audit anchor is not updated: %s", problem)
        return
    if unreadable is not None or (current and not anchor_is_genuine(pending.key, current)):
        log.error(
            "the audit anchor %s is not genuine; it is left as it is (run `codeservice audit "
            "verify`)",
            anchor_file.path,
        )
        return
    hash_at = None
    if current is not None and current.head == pending.follows:
        hash_at = current.hash  # the first append follows on from the anchored record
    elif current is not None and current.seq < pending.head.seq:
        hash_at = AuditRepository(session).hash_at(current.seq)
    create = bool(session.info.get(CREATE_ANCHOR))
    if may_advance(
        current,
        pending.head,
        first_new_seq=pending.first_seq,
        hash_at_current=hash_at,
        create=create,
    ):
        session.info[_ADVANCE] = pending
    elif current is None or current.seq < pending.head.seq:
        log.error(
            "the audit anchor is not moved to record #%d: %s (run `codeservice audit verify`)",
            pending.head.seq,
            "there is no anchor file"
            if current is None
            else f"the trail does not follow on from anchored record #{current.seq}",
        )


def _after_commit(session: Session) -> None:
    pending: _Pending | None = session.info.pop(_ADVANCE, None)
    session.info.pop(_PENDING, None)
    anchor_file = session.info.get(SESSION_INFO_KEY)
    if pending is None or not isinstance(anchor_file, AnchorFile):
        return
    try:
        anchor_file.advance(pending.head.seq, lambda text: _forward(text, pending))
    except Exception as problem:  # the commit stands; verify reports the anchor behind
        log.error(
            "the audit anchor was not moved to record #%d: %s",
            pending.head.seq,
            getattr(problem, "strerror", None) or problem,
        )


def _forward(text: str | None, pending: _Pending) -> str | None:
    """The new anchor text, or None to leave the file as it is (re-read under the lock)."""
    if text is not None:
        try:
            current = parse_anchor(text)
        except AnchorUnreadable:
            return None
        if not anchor_is_genuine(pending.key, current) or current.seq >= pending.head.seq:
            return None  # another writer moved it past us meanwhile, or it is not ours
    return anchor_text(make_anchor(pending.key, pending.head))


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost transaction: committed or rolled back
        session.info.pop(_PENDING, None)
        session.info.pop(_ADVANCE, None)
        session.info.pop(CREATE_ANCHOR, None)


# Hooked once for every session (each returns at once when nothing was appended): to
# hook each session that appends would cost more than its audit record itself.
event.listen(Session, "before_commit", _before_commit)
event.listen(Session, "after_commit", _after_commit)
event.listen(Session, "after_transaction_end", _after_transaction_end)

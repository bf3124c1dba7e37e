"""The audit anchor (pure): the chain's head, vouched for outside the database.

The hash chain finds an edited, deleted or reordered record, but not records cut off
its end: a trail emptied, or cut back to its first records, is still a valid chain.
The anchor — the newest record's number and hash, with an HMAC under the audit key —
lives in a file beside the keyring, so someone with only the database cannot move it
back. Here: its text form, when it may move, and what ``audit verify`` concludes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from enum import StrEnum

from codeservice.domain.wording import plural

ANCHOR_FORMAT = "codeservice-audit-anchor/1"
_ANCHOR_DOMAIN = b"codeservice/v1/audit-anchor\x00"


@dataclass(frozen=True)
class ChainHead:
    """The newest record of the chain: its sequence number and hash."""

    seq: int
    hash: str


@dataclass(frozen=True)
class Anchor:
    """A chain head vouched for by an HMAC under the audit key."""

    seq: int
    hash: str
    mac: str

    @property
    def head(self) -> ChainHead:
        return ChainHead(self.seq, self.hash)


class AnchorUnreadable(ValueError):
    """The anchor file is not an anchor at all (damaged, or something else)."""


def anchor_mac(key: bytes, head: ChainHead) -> str:
    material = _ANCHOR_DOMAIN + f"{head.seq}:{head.hash}".encode("ascii", "replace")
    return hmac.new(key, material, hashlib.sha256).hexdigest()


def make_anchor(key: bytes, head: ChainHead) -> Anchor:
    return Anchor(head.seq, head.hash, anchor_mac(key, head))


def anchor_is_genuine(key: bytes, anchor: Anchor) -> bool:
    return hmac.compare_digest(anchor_mac(key, anchor.head), anchor.mac)


def anchor_text(anchor: Anchor) -> str:
    document = {"format": ANCHOR_FORMAT, "seq": anchor.seq, "hash": anchor.hash}
    return json.dumps({**document, "mac": anchor.mac}, indent=2) + "\n"


def parse_anchor(text: str) -> Anchor:
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        document = None
    if not isinstance(document, dict) or document.get("format") != ANCHOR_FORMAT:
        raise AnchorUnreadable("it is not a codeservice audit anchor")
    seq, head_hash, mac = document.get("seq"), document.get("hash"), document.get("mac")
    if not (isinstance(seq, int) and seq >= 1 and isinstance(head_hash, str)):
        raise AnchorUnreadable("its sequence number or hash is missing")
    if not isinstance(mac, str):
        raise AnchorUnreadable("its HMAC is missing")
    return Anchor(seq, head_hash, mac)


def may_advance(
    current: Anchor | None,
    new: ChainHead,
    *,
    first_new_seq: int,
    hash_at_current: str | None,
    create: bool = False,
) -> bool:
    """Whether the anchor may move to ``new``: only forward, and only along its own chain.

    ``current`` is a genuine anchor (or None: there is none); ``hash_at_current`` is the
    hash the trail now holds at ``current.seq``. Without an anchor one is created only
    for a chain that starts in this very append (``first_new_seq == 1``) or when asked
    (``create``: an operator anchoring a trail kept from before anchors existed) — so a
    deleted anchor file is not silently replaced by one vouching for a cut-back trail.
    A trail cut back and grown again past the anchor does not pass through it, so the
    anchor stays where it is and ``verify`` keeps saying so.
    """
    if current is None:
        return first_new_seq == 1 or create
    if new.seq <= current.seq:
        return False
    return hash_at_current is not None and hmac.compare_digest(hash_at_current, current.hash)


class AnchorVerdict(StrEnum):
    MATCHES = "matches"  # the head is the anchored record
    BEHIND = "anchor-behind"  # records after the anchored one, on the same chain
    NOTHING_YET = "nothing-yet"  # no record and no anchor: a new database
    MISSING = "missing"  # records, but no anchor file
    FORGED = "forged"  # the anchor's HMAC does not check, or it cannot be read
    EMPTIED = "emptied"  # an anchor, but no record at all
    TRUNCATED = "truncated"  # the trail ends before the anchored record
    DIVERGED = "diverged"  # the record at the anchored number is another one


FAILING = frozenset(
    {
        AnchorVerdict.MISSING,
        AnchorVerdict.FORGED,
        AnchorVerdict.EMPTIED,
        AnchorVerdict.TRUNCATED,
        AnchorVerdict.DIVERGED,
    }
)


@dataclass(frozen=True)
class AnchorFinding:
    verdict: AnchorVerdict
    message: str

    @property
    def failed(self) -> bool:
        return self.verdict in FAILING


def judge_anchor(
    key: bytes,
    anchor: Anchor | None,
    head: ChainHead | None,
    hash_at_anchor: str | None,
    *,
    unreadable: str | None = None,
) -> AnchorFinding:
    """Compare the trail's head with the anchor (pure; the chain itself is checked apart).

    ``hash_at_anchor``: the hash the trail holds at ``anchor.seq`` (None if no record
    has that number). ``unreadable``: why the anchor file could not be parsed.
    """
    if unreadable is not None:
        return AnchorFinding(
            AnchorVerdict.FORGED,
            f"the audit anchor cannot be read ({unreadable}): restore it from backup",
        )
    if anchor is None:
        if head is None:
            return AnchorFinding(AnchorVerdict.NOTHING_YET, "no audit records yet, no anchor yet")
        return AnchorFinding(
            AnchorVerdict.MISSING,
            f"the audit anchor file is missing, but the trail holds {plural(head.seq, 'record')}: "
            "restore the anchor from backup (a trail cut back cannot be told from a whole "
            "one without it), or, for a trail kept from before anchors, run "
            "`codeservice audit anchor`",
        )
    if not anchor_is_genuine(key, anchor):
        return AnchorFinding(
            AnchorVerdict.FORGED,
            "the audit anchor's HMAC does not match: it was written without the audit key "
            "(forged or edited). Restore it from backup and find out who changed it",
        )
    if head is None:
        return AnchorFinding(
            AnchorVerdict.EMPTIED,
            f"the audit trail is empty, but the anchor vouches for {plural(anchor.seq, 'record')}: "
            "the trail was emptied",
        )
    if head.seq < anchor.seq:
        return AnchorFinding(
            AnchorVerdict.TRUNCATED,
            f"the audit trail ends at record #{head.seq}, but the anchor vouches for "
            f"#{anchor.seq}: {anchor.seq - head.seq} records were removed from its end",
        )
    if hash_at_anchor is None or not hmac.compare_digest(hash_at_anchor, anchor.hash):
        return AnchorFinding(
            AnchorVerdict.DIVERGED,
            f"audit record #{anchor.seq} is not the record the anchor vouches for: the trail "
            "was cut back and written again",
        )
    if head.seq > anchor.seq:
        return AnchorFinding(
            AnchorVerdict.BEHIND,
            f"the anchor vouches for record #{anchor.seq}; the {head.seq - anchor.seq} "
            "records after it follow on from it but are not anchored yet (a process stopped "
            "between committing them and updating the anchor, or the anchor could not be "
            "written: see the log). The next record written anchors them",
        )
    return AnchorFinding(AnchorVerdict.MATCHES, f"the anchor vouches for record #{anchor.seq}")

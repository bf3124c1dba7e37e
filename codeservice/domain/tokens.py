"""Single-purpose link tokens: handed out once, kept only as a hash (after healthchecks)."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum

# 32 random bytes, URL-safe: long enough that guessing is hopeless, so a plain
# SHA-256 (no salt, no stretching) is the right way to keep it at rest.
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")


class TokenPurpose(StrEnum):
    """What a link token opens: one purpose each, checked when the link is followed."""

    ACKNOWLEDGE = "acknowledge"  # email 1 and the reminders: confirm receipt
    REPORT_INCIDENT = "report-incident"  # the SPoC's Annex B report form


@dataclass(frozen=True)
class IssuedToken:
    token: str  # goes into exactly one email link; never stored or logged
    digest: bytes


def issue_token() -> IssuedToken:
    token = secrets.token_urlsafe(32)
    return IssuedToken(token=token, digest=token_digest(token))


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("ascii", "replace")).digest()


def looks_like_token(value: str) -> bool:
    return bool(_TOKEN_SHAPE.fullmatch(value))

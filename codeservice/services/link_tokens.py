"""Link tokens, whatever they open: make one, or load one by its token, for a purpose.

The acknowledgement (``distribution``) and the incident report form (``incidents``)
both hand out single-purpose links; each adds its own checks on what the link leads to.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from codeservice.crypto.keyring import Keyring
from codeservice.domain.audit import AuditTag
from codeservice.domain.tokens import TokenPurpose, looks_like_token, token_digest
from codeservice.errors import CodeserviceError
from codeservice.services.operations import audit
from codeservice.storage.models import Delivery, LinkToken, Spoc
from codeservice.storage.uow import UnitOfWork


class LinkProblem(CodeserviceError):
    """A link that cannot be used; ``reason`` goes in the audit record."""

    status_code = 410
    reason = "unusable"

    def __init__(self, message: str, *, link: LinkToken | None = None) -> None:
        super().__init__(message)
        self.spoc_id = None if link is None else link.spoc_id
        self.delivery_id = None if link is None else link.delivery_id


class LinkNotFound(LinkProblem):
    status_code = 404
    reason = "unknown"

    def __init__(self, reason: str = "unknown") -> None:
        super().__init__("This link is not valid")
        self.reason = reason


class LinkExpired(LinkProblem):
    reason = "expired"

    def __init__(self, link: LinkToken, reason: str = "expired") -> None:
        super().__init__("This link has expired", link=link)
        self.reason = reason


class LinkReplaced(LinkProblem):
    """A newer link was sent. ``replaced_reason``: "resent" or "reissued" (security)."""

    def __init__(self, link: LinkToken, replaced_reason: str) -> None:
        super().__init__("This link has been replaced", link=link)
        self.replaced_reason = replaced_reason
        self.reason = f"replaced:{replaced_reason}"


def add_link(
    uow: UnitOfWork,
    purpose: TokenPurpose,
    *,
    digest: bytes,
    spoc: Spoc,
    delivery: Delivery | None,
    now: datetime,
    expires_at: datetime,
) -> LinkToken:
    """Store a new link of ``purpose`` by its token's digest (flushed: it has its id)."""
    link = LinkToken(
        digest=digest,
        purpose=purpose,
        spoc=spoc,
        delivery=delivery,
        created_at=now,
        expires_at=expires_at,
    )
    uow.deliveries.add_token(link)
    uow.flush()
    return link


def find_link(uow: UnitOfWork, token: str, purpose: TokenPurpose) -> LinkToken:
    """The link ``token`` opens, if it is one of ``purpose`` and has not been replaced."""
    if not looks_like_token(token):
        raise LinkNotFound("malformed")
    link = uow.deliveries.token_by_digest(token_digest(token))
    if link is None or link.purpose != purpose:
        raise LinkNotFound()
    if link.replaced_at is not None:
        raise LinkReplaced(link, link.replaced_reason or "resent")
    return link


def record_rejection(
    uow: UnitOfWork,
    keyring: Keyring,
    problem: LinkProblem,
    *,
    ip: str,
    now: datetime,
    **details: Any,
) -> None:
    """Audit a link that could not be used (never with its token) and commit that alone."""
    audit.event(
        uow,
        keyring,
        AuditTag.SPOC_TOKEN_REJECT,
        actor="anonymous" if problem.spoc_id is None else f"spoc:{problem.spoc_id}",
        source=ip,
        now=now,
        reason=problem.reason,
        **details,
    )
    uow.commit()

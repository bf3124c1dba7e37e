"""A reissue not tied to a report, as ``codeservice reissue REF --reason`` runs it: the
clock read once, the reissue asked for in one transaction, then completed."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from codeservice.bootstrap import Container
from codeservice.services.incidents.reissue import complete_reissue, request_provider_reissue
from codeservice.services.incidents.reissue_views import ReissueReport


def reissue_provider(
    app: Container,
    provider_ref: str,
    *,
    reason: str,
    actor: str,
    source: str,
    shown: Collection[str] | None = None,
) -> ReissueReport:
    now = app.now()
    with app.transaction() as uow:
        reissue_id = request_provider_reissue(
            uow, provider_ref, reason=reason, actor=actor, now=now, shown=shown
        )
    return complete(app, reissue_id, actor=actor, source=source, now=now)


def complete(
    app: Container, reissue_id: int, *, actor: str, source: str, now: datetime | None = None
) -> ReissueReport:
    """Complete the reissue ``reissue_id`` at ``now`` (the container's time, else)."""
    now = app.now() if now is None else now
    return complete_reissue(
        app.read_uow, app.uow, app.issuer, reissue_id, actor=actor, source=source, now=now
    )

"""A member of staff asks for the rotation from the dashboard: the request is audited
(with how many providers were still to issue) before the rotation starts."""

from __future__ import annotations

from datetime import datetime

from codeservice.crypto.keyring import Keyring
from codeservice.domain.audit import AuditTag
from codeservice.domain.calendar import Cycle
from codeservice.services.operations import audit
from codeservice.storage.uow import UnitOfWork


def record_rotation_request(
    uow: UnitOfWork,
    keyring: Keyring,
    cycle: Cycle,
    *,
    pending: int,
    actor: str,
    source: str,
    now: datetime,
) -> None:
    """In the caller's transaction: the caller commits before the rotation starts."""
    audit.event(
        uow,
        keyring,
        AuditTag.CYCLE_ROTATION_REQUEST,
        actor=actor,
        source=source,
        now=now,
        cycle=str(cycle),
        pending=pending,
    )

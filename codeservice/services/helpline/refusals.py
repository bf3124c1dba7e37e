"""A refusal at the helpline (an unknown provider, a lock, a wrong answer) kept on record
for the security team: its audit record is committed even though the request fails."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from codeservice.crypto.keyring import Keyring
from codeservice.domain.audit import AuditTag
from codeservice.errors import CodeserviceError
from codeservice.services.operations import audit
from codeservice.storage.uow import UnitOfWork

log = logging.getLogger(__name__)


def refused(
    uow: UnitOfWork,
    keyring: Keyring,
    action: AuditTag,
    error: CodeserviceError,
    details: dict[str, Any],
    agent: str,
    source: str,
    now: datetime,
) -> None:
    """Keep the refusal (and a lock just made) on record for the security team."""
    reason = getattr(error, "code", type(error).__name__)
    audit.event(
        uow,
        keyring,
        action,
        actor=agent,
        source=source,
        now=now,
        **details,
        refused=reason,
    )
    uow.commit()
    log.info("helpline refused %s for %s: %s", action, agent, reason)

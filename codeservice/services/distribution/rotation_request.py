"""A member of staff asks for the rotation from the dashboard: the request is audited
(with how many providers were still to issue) before the rotation starts."""

from __future__ import annotations

from codeservice.bootstrap import Container
from codeservice.domain.audit import AuditTag
from codeservice.domain.calendar import Cycle
from codeservice.services.operations import audit


def record_rotation_request(
    container: Container, cycle: Cycle, *, pending: int, actor: str, source: str
) -> None:
    with container.uow() as uow:
        audit.event(
            uow,
            container.keyring,
            AuditTag.CYCLE_ROTATION_REQUEST,
            actor=actor,
            source=source,
            now=container.now(),
            cycle=str(cycle),
            pending=pending,
        )
        uow.commit()

"""The retention purge and the audit check as their CLI commands run them: the use case
handed the container's units of work, keyring and settings."""

from __future__ import annotations

from datetime import datetime

from codeservice.bootstrap import Container
from codeservice.services.operations import audit_verify, retention


def purge(app: Container, *, actor: str, source: str, now: datetime) -> retention.PurgeResult:
    return retention.purge(
        app.read_uow,
        app.uow,
        app.keyring,
        retention.policy_of(app.settings),
        actor=actor,
        source=source,
        now=now,
    )


def verify_trail(app: Container) -> audit_verify.TrailReport:
    return audit_verify.verify_trail(app.read_uow, app.keyring, app.settings.audit_anchor_file)

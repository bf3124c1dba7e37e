"""Activation: at 00:00 on the Monday a cycle's codes become active and the old ones retire.

One transaction: the cycle's ``issued`` codes become ``active`` and every earlier code
still ``issued`` or ``active`` becomes ``retired``, with an audit record per code and
one for the run. Each change is a conditional update, so running it again, or late,
changes nothing more. The helpline looks at instants, not states, so there is never a
moment without exactly one usable code; the states follow for people and reports.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from codeservice.crypto.keyring import Keyring
from codeservice.domain.audit import AuditTag
from codeservice.domain.calendar import Calendar, Cycle
from codeservice.domain.codes import STANDING, CodeState
from codeservice.domain.wording import moment_text
from codeservice.errors import Conflict
from codeservice.services.operations import audit
from codeservice.storage.models import AccessCode
from codeservice.storage.uow import UnitOfWork

log = logging.getLogger(__name__)


@dataclass
class ActivationReport:
    cycle: str
    activated: list[str] = field(default_factory=list)  # provider refs
    retired: list[str] = field(default_factory=list)  # "ref cycle"


def activate(
    uow: UnitOfWork,
    keyring: Keyring,
    calendar: Calendar,
    cycle: Cycle,
    *,
    actor: str,
    source: str,
    now: datetime,
) -> ActivationReport:
    """Make ``cycle`` the cycle in force, in the caller's transaction (the caller
    commits); refused before its ``active_from``."""
    dates = calendar.dates(cycle)
    if now < dates.active_from:
        when = moment_text(dates.active_from, calendar.policy.tz)
        raise Conflict(f"cycle {cycle} becomes active on {when}; it cannot be activated before")
    report = ActivationReport(cycle=str(cycle))
    for code in uow.codes.in_cycle(cycle, CodeState.ISSUED):
        if uow.codes.change_state(code.id, CodeState.ISSUED, CodeState.ACTIVE):
            report.activated.append(code.provider.ref)
            audit.event(
                uow,
                keyring,
                AuditTag.CODE_ACCESS_ACTIVATE,
                actor=actor,
                source=source,
                now=now,
                **_about(code),
            )
    for code in uow.codes.before_cycle(cycle, STANDING):
        if uow.codes.change_state(code.id, code.state, CodeState.RETIRED):
            report.retired.append(f"{code.provider.ref} {code.cycle}")
            audit.event(
                uow,
                keyring,
                AuditTag.CODE_ACCESS_RETIRE,
                actor=actor,
                source=source,
                now=now,
                **_about(code),
            )
    audit.event(
        uow,
        keyring,
        AuditTag.CYCLE_ACTIVATION_RUN,
        actor=actor,
        source=source,
        now=now,
        cycle=str(cycle),
        activated=len(report.activated),
        retired=len(report.retired),
    )
    log.info(
        "activated cycle %s: %d codes activated, %d retired",
        cycle,
        len(report.activated),
        len(report.retired),
    )
    return report


def _about(code: AccessCode) -> dict[str, str]:
    return {
        "provider": code.provider.ref,
        "cycle": str(code.cycle),
        "document_ref": code.document_ref,
    }

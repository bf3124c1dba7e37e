"""A provider whose code a rotation could not issue: kept, audited and mailed to the BMT.

One bad row must never stop the month. When a provider's document cannot be built
or encrypted, or its code cannot be stored, the rotation records why here — in a
transaction of its own — and goes on with the next provider. ``status``, the
dashboard and the BMT summary read the record; a rerun retries the provider and,
once it is issued, deletes the record with the code's own transaction.

The reason is written for the BMT and is safe to show and mail: it names the field
and the character at fault when there is one, otherwise only the kind of error. It
never holds an exception's text (which could quote document content) or a traceback.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from codeservice.domain.audit import AuditTag
from codeservice.domain.calendar import Cycle
from codeservice.domain.text import unusable_character
from codeservice.domain.wording import cycle_label
from codeservice.emails import render
from codeservice.services.mail import Mailroom, queue_for_bmt
from codeservice.services.operations import audit
from codeservice.storage.models import Provider, Spoc
from codeservice.storage.uow import UnitOfWork

log = logging.getLogger(__name__)

MAX_REASON = 500


@dataclass(frozen=True)
class FailedIssue:
    provider_ref: str
    reason: str
    attempts: int


def field_problem(provider: Provider, spocs: list[Spoc]) -> str | None:
    """The first field of the provider or its SPoCs that no document or email can carry."""
    fields = [("ref", provider.ref), ("name", provider.name)]
    for spoc in spocs:
        fields += [("SPoC name", spoc.name), ("SPoC email", spoc.email)]
    for label, value in fields:
        problem = unusable_character(value)
        if problem is not None:
            return f"its {label} {problem}"
    return None


def safe_ref(provider: Provider) -> str:
    """The provider's ref, or its row id when the ref itself cannot be shown."""
    return provider.ref if unusable_character(provider.ref) is None else f"#{provider.id}"


def reason_for(error: BaseException, provider: Provider, spocs: list[Spoc]) -> str:
    problem = field_problem(provider, spocs)
    if problem is not None:
        return (
            f"{problem}; correct it in the register (or the provider's page) "
            "and run the rotation again"
        )
    return (
        f"its document or code could not be made ({type(error).__name__}); "
        "see the service log, then run the rotation again"
    )[:MAX_REASON]


def record_failure(
    uow: UnitOfWork,
    mailroom: Mailroom,
    cycle: Cycle,
    provider_id: int,
    error: BaseException,
    *,
    actor: str,
    source: str,
    now: datetime,
) -> FailedIssue:
    """Keep, audit and mail one provider's failed issue, in the caller's transaction
    (the rotation opens one for it alone, and commits)."""
    provider = uow.register.provider_by_id(provider_id)
    assert provider is not None
    spocs = uow.register.active_spocs(provider)
    reason = reason_for(error, provider, spocs)
    ref = safe_ref(provider)
    row = uow.codes.record_failure(provider_id, cycle, reason, now)
    audit.event(
        uow,
        mailroom.keyring,
        AuditTag.CODE_ACCESS_ISSUE_FAIL,
        actor=actor,
        source=source,
        now=now,
        provider=ref,
        cycle=str(cycle),
        reason=reason,
        attempt=row.attempts,
    )
    _queue_bmt_email(uow, mailroom, cycle, ref, reason, row.attempts, now)
    # The error's type only: its text may quote the document's content.
    log.warning(
        "provider %s: the code for %s was not issued (%s): %s",
        ref,
        cycle,
        type(error).__name__,
        reason,
    )
    return FailedIssue(ref, reason, row.attempts)


def _queue_bmt_email(
    uow: UnitOfWork,
    mailroom: Mailroom,
    cycle: Cycle,
    ref: str,
    reason: str,
    attempt: int,
    now: datetime,
) -> None:
    rendered = render(
        "issue_failure",
        {"cycle": str(cycle), "cycle_label": cycle_label(cycle), "ref": ref, "reason": reason},
    )
    queue_for_bmt(
        uow,
        mailroom,
        rendered,
        dedupe_key=f"issue-failure:{cycle}:{ref}:{attempt}",
        category="bmt-issue-failure",
        now=now,
    )

"""The rotation's writer: several providers' codes, deliveries and email 1s in one
transaction, in a few statements whatever the batch's size.

For a batch: the providers' rows locked (one statement, in id order), their live codes,
SPoCs and report links read (one each), the codes checked unused (one), then every new
row inserted table by table, email 1 queued for every SPoC (one INSERT), the audit
records appended (one look-up, one INSERT) and the failures of earlier runs cleared.
The batch commits together or not at all, so a run killed at any point and rerun still
issues each provider once. Each provider's document is encoded for email once, however
many SPoCs it goes to.

A batch that cannot be written as a whole (a code drawn twice, a field no email can
carry) raises ``BatchRefused`` with nothing written: the caller then writes those
providers one by one, where a failure is the provider's own.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from codeservice.domain.audit import AuditTag
from codeservice.domain.calendar import Cycle, CycleDates
from codeservice.domain.codes import CodeState
from codeservice.domain.tokens import TokenPurpose, issue_token
from codeservice.emails import encode_attachment
from codeservice.errors import CodeserviceError
from codeservice.services.distribution.codes import CodeMaterial, sealed_row
from codeservice.services.distribution.issuing import Issuer
from codeservice.services.distribution.notifications import (
    DOCUMENT_CATEGORY,
    ack_token_lifetime,
    document_attachment,
    document_email,
    document_email_key,
)
from codeservice.services.mail import EmailToQueue, queue_emails
from codeservice.services.operations import audit
from codeservice.services.report_links import report_link_tokens
from codeservice.storage.models import AccessCode, Delivery, LinkToken, Provider, Spoc
from codeservice.storage.uow import UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReadyProvider:
    """A provider whose document is built and encrypted, waiting to be written."""

    provider_id: int
    provider_ref: str
    material: CodeMaterial = field(repr=False)
    document: bytes = field(repr=False)


@dataclass
class BatchOutcome:
    issued: list[tuple[str, int]] = field(default_factory=list)  # (ref, SPoCs sent to)
    already_done: int = 0
    no_security_plan: list[str] = field(default_factory=list)


class BatchRefused(CodeserviceError):
    """This batch cannot be written as one: write its providers one by one."""


@dataclass(frozen=True)
class _Issue:
    ready: ReadyProvider
    provider: Provider
    code: AccessCode
    spocs: list[Spoc]


def write_batch(
    uow: UnitOfWork,
    issuer: Issuer,
    batch: list[ReadyProvider],
    *,
    cycle: Cycle,
    dates: CycleDates,
    issued_at: datetime,
    actor: str,
    source: str,
    now: datetime,
) -> BatchOutcome:
    """Write the batch in ``uow`` (flushed, not committed)."""
    outcome = BatchOutcome()
    if not batch:
        return outcome
    ids = [ready.provider_id for ready in batch]
    providers = uow.register.lock_providers(ids)
    live = uow.codes.live_provider_ids(cycle, ids)
    state = CodeState.ACTIVE if dates.active_from <= now else CodeState.ISSUED
    issues: list[_Issue] = []
    for ready in batch:
        provider = providers[ready.provider_id]
        if provider.id in live:  # another process (or an earlier run) issued it meanwhile
            outcome.already_done += 1
        elif not provider.security_plan.approved:  # withdrawn since the run started
            outcome.no_security_plan.append(provider.ref)
        else:
            code = sealed_row(issuer.keyring, ready.material, provider, cycle)
            code.state, code.issued_at, code.replaces_id = state, issued_at, None
            code.active_from, code.active_until = dates.active_from, dates.active_until
            issues.append(_Issue(ready, provider, code, []))
    if not issues:
        return outcome
    if uow.codes.any_used(
        [i.code.fingerprint for i in issues], [i.code.document_ref for i in issues]
    ):
        raise BatchRefused("a drawn access code or document reference was used before")
    spocs = uow.register.active_spocs_of([i.provider.id for i in issues])
    issues = [_Issue(i.ready, i.provider, i.code, spocs[i.provider.id]) for i in issues]
    uow.codes.add_all([i.code for i in issues])
    deliveries = _deliveries(uow, issuer, issues, now)
    all_spocs = [spoc for i in issues for spoc in i.spocs]
    report_tokens = report_link_tokens(uow, issuer.keyring, all_spocs, now)
    uow.flush()  # codes, deliveries and links: their ids name the emails
    _queue_email_1s(uow, issuer, issues, deliveries, report_tokens, now)
    audit.record_many(
        uow,
        issuer.keyring.audit_key,
        [_issue_record(i, cycle, actor, source) for i in issues],
        now=now,
    )
    uow.codes.clear_failures([i.provider.id for i in issues], cycle)
    for issue in issues:
        log.info(
            "issued access code %s for provider %s, cycle %s",
            issue.code.document_ref,
            issue.provider.ref,
            cycle,
        )
        outcome.issued.append((issue.provider.ref, len(issue.spocs)))
    return outcome


def _deliveries(
    uow: UnitOfWork, issuer: Issuer, issues: list[_Issue], now: datetime
) -> dict[int, tuple[Delivery, LinkToken, str]]:
    """Each SPoC's delivery and acknowledgement link (added, not flushed), by SPoC id."""
    made: dict[int, tuple[Delivery, LinkToken, str]] = {}
    lifetime = ack_token_lifetime(issuer.mailroom)
    for issue in issues:
        expires_at = max(now, issue.code.active_from) + lifetime
        for spoc in issue.spocs:
            delivery = Delivery(access_code=issue.code, spoc=spoc, created_at=now)
            uow.deliveries.add(delivery)
            token = issue_token()
            link = LinkToken(
                digest=token.digest,
                purpose=TokenPurpose.ACKNOWLEDGE,
                spoc=spoc,
                delivery=delivery,
                created_at=now,
                expires_at=expires_at,
            )
            uow.deliveries.add_token(link)
            made[spoc.id] = (delivery, link, token.token)
    return made


def _queue_email_1s(
    uow: UnitOfWork,
    issuer: Issuer,
    issues: list[_Issue],
    deliveries: dict[int, tuple[Delivery, LinkToken, str]],
    report_tokens: dict[int, str],
    now: datetime,
) -> None:
    queued: list[EmailToQueue] = []
    for issue in issues:
        # Encoded once, for all of the provider's SPoCs.
        attachment = encode_attachment(
            document_attachment(issue.provider.ref, str(issue.code.cycle), issue.ready.document)
        )
        for spoc in issue.spocs:
            delivery, link, token = deliveries[spoc.id]
            rendered = document_email(
                issuer.mailroom,
                delivery=delivery,
                link=link,
                token=token,
                report_token=report_tokens[spoc.id],
                now=now,
            )
            queued.append(
                EmailToQueue(
                    rendered,
                    to_name=spoc.name,
                    to_email=spoc.email,
                    dedupe_key=document_email_key(delivery, link),
                    category=DOCUMENT_CATEGORY,
                    attachments=[attachment],
                )
            )
    ids = queue_emails(uow, issuer.mailroom.postbox, queued, now=now)
    spoc_ids = [spoc.id for issue in issues for spoc in issue.spocs]
    for spoc_id, message_id in zip(spoc_ids, ids, strict=True):
        deliveries[spoc_id][0].document_message_id = message_id


def _issue_record(issue: _Issue, cycle: Cycle, actor: str, source: str) -> audit.Entry:
    return audit.Entry(
        actor=actor,
        action=AuditTag.CODE_ACCESS_ISSUE,
        source=source,
        details={
            "provider": issue.provider.ref,
            "cycle": str(cycle),
            "document_ref": issue.code.document_ref,
            "key_id": issue.code.key_id,
            "emails_queued": len(issue.spocs),
        },
    )

"""Annex B reports: receiving them, entered by the security team from a proforma sent
by email, or from a SPoC's link (``reports_by_link``). Reading them is ``views``;
triage is ``triage``.

A new report is recorded, audited and announced to the security mailbox in one
transaction; the email names the report, never its description.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from codeservice.domain.audit import AuditTag
from codeservice.domain.incidents import (
    IncidentDetails,
    ReasonCategory,
    check_report,
    report_reference,
)
from codeservice.domain.text import check_usable
from codeservice.domain.triage import TriageState
from codeservice.domain.wording import moment_text
from codeservice.emails import render
from codeservice.errors import InputError, NotFound
from codeservice.services.incidents.views import IncidentView, incident_view
from codeservice.services.mail import Mailroom, queue_email
from codeservice.services.operations import audit
from codeservice.storage.models import IncidentReport, Provider
from codeservice.storage.uow import UnitOfWork

FROM_SPOC_LINK = "spoc-link"
FROM_SECURITY_TEAM = "security-team"
TRIAGE_PATH = "/security/incidents"
_ISO_DATE = re.compile(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*")


@dataclass(frozen=True)
class ReportForm:
    """The proforma's fields exactly as typed, so a form can be shown again."""

    subcontractor: str = ""
    day: str = ""
    month: str = ""
    year: str = ""
    reason: str = ""
    details: str = ""


def record_report(
    uow: UnitOfWork,
    mailroom: Mailroom,
    *,
    provider_ref: str,
    change_date: str,
    reason: str,
    details: str,
    subcontractor: str = "",
    actor: str,
    source: str,
    now: datetime,
) -> IncidentView:
    """The security team enters a proforma received by email (``--date YYYY-MM-DD``),
    in the caller's transaction (the caller commits)."""
    day, month, year = _date_parts(change_date)
    form = ReportForm(
        subcontractor=subcontractor,
        day=day,
        month=month,
        year=year,
        reason=reason,
        details=details,
    )
    return record_report_form(
        uow, mailroom, provider_ref, form, actor=actor, source=source, now=now
    )


def record_report_form(
    uow: UnitOfWork,
    mailroom: Mailroom,
    provider_ref: str,
    form: ReportForm,
    *,
    actor: str,
    source: str,
    now: datetime,
) -> IncidentView:
    """As ``record_report``, from the fields of the security team's web form."""
    provider = _prime(uow, provider_ref)
    checked = check_form(form, mailroom.tz, now)
    report = receive_report(
        uow,
        mailroom,
        provider=provider,
        details=checked,
        source=FROM_SECURITY_TEAM,
        reported_by=actor,
        audit_source=source,
        now=now,
    )
    return incident_view(uow, report)


def _prime(uow: UnitOfWork, provider_ref: str) -> Provider:
    ref = check_usable(provider_ref.strip(), field="provider", label="the provider's ref")
    provider = uow.register.get_provider(ref)
    if provider is None:
        raise NotFound(f"no provider with ref {provider_ref!r} is on the register")
    if provider.prime is not None:
        raise InputError(
            f"{provider.ref} is a subcontractor of {provider.prime.ref}: record the report "
            f"against {provider.prime.ref} and name {provider.ref} as the subcontractor"
        )
    return provider


def _date_parts(text: str) -> tuple[str, str, str]:
    match = _ISO_DATE.fullmatch(text)
    if match is None:
        return ("x", "x", "x") if text.strip() else ("", "", "")
    year, month, day = match.groups()
    return day, month, year


def check_form(form: ReportForm, tz: ZoneInfo, now: datetime) -> IncidentDetails:
    return check_report(
        subcontractor=form.subcontractor,
        day=form.day,
        month=form.month,
        year=form.year,
        reason=form.reason,
        details=form.details,
        today=now.astimezone(tz).date(),
    )


def receive_report(
    uow: UnitOfWork,
    mailroom: Mailroom,
    *,
    provider: Provider,
    details: IncidentDetails,
    source: str,
    reported_by: str,
    audit_source: str,
    now: datetime,
) -> IncidentReport:
    """A new report, audited and announced; or, for the same proforma sent again by the
    same person before it is decided, the report it already made (see
    ``same_open_report``)."""
    if (same := same_open_report(uow, provider, details, reported_by)) is not None:
        return same
    year = now.astimezone(mailroom.tz).year
    report = IncidentReport(
        reference=report_reference(year, uow.incidents.last_number(year) + 1),
        provider_id=provider.id,
        subcontractor=details.subcontractor,
        change_date=details.change_date,
        reason=details.reason.value,
        details=details.details,
        source=source,
        reported_by=reported_by,
        received_at=now,
        state=TriageState.RECEIVED,
    )
    report.provider = provider
    uow.incidents.add(report)
    audit.event(
        uow,
        mailroom.keyring,
        AuditTag.INCIDENT_REPORT_RECEIVE,
        actor=reported_by,
        source=audit_source,
        now=now,
        reference=report.reference,
        provider=provider.ref,
        reason=report.reason,
        **{"from": source},
    )
    report.alert_message_id = _queue_alert(uow, mailroom, report, now)
    return report


def same_open_report(
    uow: UnitOfWork, provider: Provider, details: IncidentDetails, reported_by: str
) -> IncidentReport | None:
    """The report this person already made with exactly these answers, still waiting
    for a decision. A double click, a reload, a second tab or a command run again sends
    the same proforma twice: it is one incident, so it gets one reference, one audit
    record and one email to the security mailbox. References are locked first, so two
    copies sent at the same moment still make one report."""
    uow.incidents.lock_references()
    return uow.incidents.open_report_like(
        provider.id,
        reported_by,
        subcontractor=details.subcontractor,
        change_date=details.change_date,
        reason=details.reason.value,
        details=details.details,
    )


def _queue_alert(uow: UnitOfWork, mailroom: Mailroom, report: IncidentReport, now: datetime) -> int:
    """The security mailbox hears of the report at once, without its description."""
    rendered = render(
        "incident_received",
        {
            "reference": report.reference,
            "provider_name": report.provider.name,
            "provider_ref": report.provider.ref,
            "reason_label": ReasonCategory(report.reason).label,
            "received_at": moment_text(report.received_at, mailroom.tz),
            "source_label": (
                "a Single Point of Contact, from the link in their email"
                if report.source == FROM_SPOC_LINK
                else "entered by the security team from a proforma sent by email"
            ),
            "triage_url": f"{mailroom.base_url}{TRIAGE_PATH}/{report.reference}",
        },
    )
    return queue_email(
        uow,
        mailroom.postbox,
        rendered,
        to_name="Provider Direct security",
        to_email=mailroom.security_mailbox,
        dedupe_key=f"incident-received:{report.reference}",
        category="incident-received",
        now=now,
    )

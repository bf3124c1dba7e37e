"""Annex B reports: receiving them, from a SPoC's link or entered by the security team
from a proforma sent by email. Reading them is ``views``; triage is
``triage``.

A new report is recorded, audited and announced to the security mailbox in one
transaction; the email names the report, never its description.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from codeservice.bootstrap import Container
from codeservice.domain.audit import AuditTag
from codeservice.domain.incidents import (
    REPORT_WINDOW,
    IncidentDetails,
    ReasonCategory,
    check_report,
    check_report_rate,
    parse_reference,
    report_reference,
)
from codeservice.domain.text import check_usable
from codeservice.domain.tokens import TokenPurpose
from codeservice.domain.triage import TriageState
from codeservice.domain.wording import moment_text
from codeservice.emails import render
from codeservice.errors import InputError, NotFound
from codeservice.services.incidents.views import IncidentView, incident_view
from codeservice.services.link_tokens import LinkExpired, LinkProblem, find_link
from codeservice.services.mail import queue_email
from codeservice.services.operations import audit
from codeservice.storage.models import IncidentReport, LinkToken, Provider
from codeservice.storage.uow import UnitOfWork

FROM_SPOC_LINK = "spoc-link"
FROM_SECURITY_TEAM = "security-team"
TRIAGE_PATH = "/security/incidents"
_ISO_DATE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")


@dataclass(frozen=True)
class ReportForm:
    """The proforma's fields exactly as typed, so a form can be shown again."""

    subcontractor: str = ""
    day: str = ""
    month: str = ""
    year: str = ""
    reason: str = ""
    details: str = ""


@dataclass(frozen=True)
class ReportLinkView:
    spoc_id: int
    spoc_name: str
    provider_ref: str
    provider_name: str
    link_expires_at: datetime


def load_report_link(container: Container, token: str, now: datetime) -> ReportLinkView:
    """Who the link belongs to; raises ``LinkProblem`` when it cannot be used. Writes nothing."""
    with container.read_uow() as uow:
        link = _usable_link(uow, token, now)
        return ReportLinkView(
            spoc_id=link.spoc.id,
            spoc_name=link.spoc.name,
            provider_ref=link.spoc.provider.ref,
            provider_name=link.spoc.provider.name,
            link_expires_at=link.expires_at,
        )


def submit_report(
    container: Container, token: str, form: ReportForm, *, ip: str, now: datetime
) -> IncidentView:
    """A SPoC's report from their link. Raises ``LinkProblem`` (audited),
    ``TooManyReports`` (the link's reports for the hour are used up) or ``InvalidReport``
    (nothing recorded: the form is shown again as typed)."""
    with container.uow() as uow:
        try:
            link = _usable_link(uow, token, now)
        except LinkProblem as problem:
            audit.event(
                uow,
                container.keyring,
                AuditTag.SPOC_TOKEN_REJECT,
                actor="anonymous" if problem.spoc_id is None else f"spoc:{problem.spoc_id}",
                source=ip,
                now=now,
                reason=problem.reason,
                purpose=TokenPurpose.REPORT_INCIDENT,
            )
            uow.commit()
            raise
        spoc = link.spoc
        reported_by = f"spoc:{spoc.id}"
        check_report_rate(
            uow.incidents.received_from_since(reported_by, now - REPORT_WINDOW),
            limit=container.settings.incident_reports_per_hour,
            now=now,
        )
        details = _checked(form, container, now)
        report = _receive(
            uow,
            container,
            provider=spoc.provider,
            details=details,
            source=FROM_SPOC_LINK,
            reported_by=reported_by,
            audit_source=ip,
            now=now,
        )
        view = incident_view(uow, report)
        uow.commit()
    return view


def report_sent_by_link(
    container: Container, token: str, reference: str, now: datetime
) -> IncidentView:
    """The confirmation page: the report, only to the SPoC whose link sent it."""
    with container.read_uow() as uow:
        link = _usable_link(uow, token, now)
        report = uow.incidents.by_reference(parse_reference(reference))
        if report is None or report.reported_by != f"spoc:{link.spoc_id}":
            raise NotFound("there is no such report")
        return incident_view(uow, report)


def record_report(
    container: Container,
    *,
    provider_ref: str,
    change_date: str,
    reason: str,
    details: str,
    subcontractor: str = "",
    actor: str,
    source: str,
) -> IncidentView:
    """The security team enters a proforma received by email (``--date YYYY-MM-DD``)."""
    day, month, year = _date_parts(change_date)
    form = ReportForm(
        subcontractor=subcontractor,
        day=day,
        month=month,
        year=year,
        reason=reason,
        details=details,
    )
    return record_report_form(container, provider_ref, form, actor=actor, source=source)


def record_report_form(
    container: Container, provider_ref: str, form: ReportForm, *, actor: str, source: str
) -> IncidentView:
    """As ``record_report``, from the fields of the security team's web form."""
    now = container.now()
    with container.uow() as uow:
        provider = _prime(uow, provider_ref)
        checked = _checked(form, container, now)
        report = _receive(
            uow,
            container,
            provider=provider,
            details=checked,
            source=FROM_SECURITY_TEAM,
            reported_by=actor,
            audit_source=source,
            now=now,
        )
        view = incident_view(uow, report)
        uow.commit()
    return view


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
    match = _ISO_DATE.match(text)
    if match is None:
        return ("x", "x", "x") if text.strip() else ("", "", "")
    year, month, day = match.groups()
    return day, month, year


def _checked(form: ReportForm, container: Container, now: datetime) -> IncidentDetails:
    return check_report(
        subcontractor=form.subcontractor,
        day=form.day,
        month=form.month,
        year=form.year,
        reason=form.reason,
        details=form.details,
        today=now.astimezone(container.settings.tz).date(),
    )


def _receive(
    uow: UnitOfWork,
    container: Container,
    *,
    provider: Provider,
    details: IncidentDetails,
    source: str,
    reported_by: str,
    audit_source: str,
    now: datetime,
) -> IncidentReport:
    uow.incidents.lock_references()
    year = now.astimezone(container.settings.tz).year
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
        container.keyring,
        AuditTag.INCIDENT_REPORT_RECEIVE,
        actor=reported_by,
        source=audit_source,
        now=now,
        reference=report.reference,
        provider=provider.ref,
        reason=report.reason,
        **{"from": source},
    )
    report.alert_message_id = _queue_alert(uow, container, report, now)
    return report


def _queue_alert(
    uow: UnitOfWork, container: Container, report: IncidentReport, now: datetime
) -> int:
    """The security mailbox hears of the report at once, without its description."""
    settings = container.settings
    rendered = render(
        "incident_received",
        {
            "reference": report.reference,
            "provider_name": report.provider.name,
            "provider_ref": report.provider.ref,
            "reason_label": ReasonCategory(report.reason).label,
            "received_at": moment_text(report.received_at, settings.tz),
            "source_label": (
                "a Single Point of Contact, from the link in their email"
                if report.source == FROM_SPOC_LINK
                else "entered by the security team from a proforma sent by email"
            ),
            "triage_url": f"{settings.base_url}{TRIAGE_PATH}/{report.reference}",
        },
    )
    return queue_email(
        uow,
        container,
        rendered,
        to_name="Provider Direct security",
        to_email=settings.security_mailbox,
        dedupe_key=f"incident-received:{report.reference}",
        category="incident-received",
        now=now,
    )


def _usable_link(uow: UnitOfWork, token: str, now: datetime) -> LinkToken:
    link = find_link(uow, token, TokenPurpose.REPORT_INCIDENT)
    if not (link.spoc.active and link.spoc.provider.active):
        # Valid only while the SPoC is: one taken off the register (perhaps the
        # leaver §48 is about) must not be able to use a link sent before.
        raise LinkExpired(link, "withdrawn")
    if link.expires_at <= now:
        raise LinkExpired(link)
    return link

"""A SPoC's report from the link in their email: the form, its sending (at most a
setting's reports an hour per link) and the confirmation, shown only to that SPoC."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from codeservice.domain.incidents import REPORT_WINDOW, check_report_rate, parse_reference
from codeservice.domain.tokens import TokenPurpose
from codeservice.errors import NotFound
from codeservice.services.incidents.reports import (
    FROM_SPOC_LINK,
    ReportForm,
    check_form,
    receive_report,
    same_open_report,
)
from codeservice.services.incidents.views import IncidentView, incident_view
from codeservice.services.link_tokens import LinkExpired, LinkProblem, find_link, record_rejection
from codeservice.services.mail import Mailroom
from codeservice.storage.models import LinkToken
from codeservice.storage.uow import UnitOfWork


@dataclass(frozen=True)
class ReportLinkView:
    spoc_id: int
    spoc_name: str
    provider_ref: str
    provider_name: str
    link_expires_at: datetime


def load_report_link(uow: UnitOfWork, token: str, *, now: datetime) -> ReportLinkView:
    """Who the link belongs to; raises ``LinkProblem`` when it cannot be used. Writes
    nothing (the caller opens a read unit of work)."""
    link = _usable_link(uow, token, now)
    return ReportLinkView(
        spoc_id=link.spoc.id,
        spoc_name=link.spoc.name,
        provider_ref=link.spoc.provider.ref,
        provider_name=link.spoc.provider.name,
        link_expires_at=link.expires_at,
    )


def submit_report(
    uow: UnitOfWork,
    mailroom: Mailroom,
    token: str,
    form: ReportForm,
    *,
    per_hour: int,
    ip: str,
    now: datetime,
) -> IncidentView:
    """A SPoC's report from their link, in the caller's transaction (the caller
    commits). Raises ``LinkProblem`` (audited, that record committed at once),
    ``TooManyReports`` (the link's ``per_hour`` reports for the hour are used up) or
    ``InvalidReport`` (nothing recorded: the form is shown again as typed)."""
    try:
        link = _usable_link(uow, token, now)
    except LinkProblem as problem:
        record_rejection(
            uow,
            mailroom.keyring,
            problem,
            ip=ip,
            now=now,
            purpose=TokenPurpose.REPORT_INCIDENT,
        )
        raise
    spoc = link.spoc
    reported_by = f"spoc:{spoc.id}"
    details = check_form(form, mailroom.tz, now)
    if (same := same_open_report(uow, spoc.provider, details, reported_by)) is not None:
        return incident_view(uow, same)  # sent again: not a new report, nor one more counted
    check_report_rate(
        uow.incidents.received_from_since(reported_by, now - REPORT_WINDOW),
        limit=per_hour,
        now=now,
    )
    report = receive_report(
        uow,
        mailroom,
        provider=spoc.provider,
        details=details,
        source=FROM_SPOC_LINK,
        reported_by=reported_by,
        audit_source=ip,
        now=now,
    )
    return incident_view(uow, report)


def report_sent_by_link(
    uow: UnitOfWork, token: str, reference: str, *, now: datetime
) -> IncidentView:
    """The confirmation page: the report, only to the SPoC whose link sent it."""
    link = _usable_link(uow, token, now)
    report = uow.incidents.by_reference(parse_reference(reference))
    if report is None or report.reported_by != f"spoc:{link.spoc_id}":
        raise NotFound("there is no such report")
    return incident_view(uow, report)


def _usable_link(uow: UnitOfWork, token: str, now: datetime) -> LinkToken:
    link = find_link(uow, token, TokenPurpose.REPORT_INCIDENT)
    if not (link.spoc.active and link.spoc.provider.active):
        # Valid only while the SPoC is: one taken off the register (perhaps the
        # leaver §48 is about) must not be able to use a link sent before.
        raise LinkExpired(link, "withdrawn")
    if link.expires_at <= now:
        raise LinkExpired(link)
    return link

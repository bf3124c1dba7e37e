"""``/report/{token}``: a SPoC reports a potential security incident (Annex B).

The link comes from the SPoC's email 1. Opening it changes nothing; sending the form
(a CSRF-protected POST) records the report, tells the security mailbox and redirects
to a confirmation page, so that reloading never sends a report twice; the same
answers sent again (a double click, a second tab) find the report they already made.
A form with problems is shown again with every field as typed and a message per field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from codeservice.bootstrap import Container
from codeservice.domain.incidents import InvalidReport, TooManyReports
from codeservice.domain.wording import moment_text
from codeservice.services.incidents.reports import ReportForm
from codeservice.services.incidents.reports_by_link import (
    ReportLinkView,
    load_report_link,
    report_sent_by_link,
    submit_report,
)
from codeservice.services.link_tokens import LinkProblem
from codeservice.web.dependencies import client_ip, container_of, pages_of, require_csrf
from codeservice.web.routes.incidents.form import PostedReport, form_context

router = APIRouter()
ContainerDep = Annotated[Container, Depends(container_of)]


@router.api_route("/report/{token}", methods=["GET", "HEAD"])
def show(request: Request, token: str, container: ContainerDep) -> Response:
    try:
        now = container.now()
        with container.read_uow() as uow:
            link = load_report_link(uow, token, now=now)
    except LinkProblem as problem:
        return _link_problem(request, container, problem)
    return _form(request, container, link, ReportForm(), {})


@router.post("/report/{token}", dependencies=[Depends(require_csrf)])
def send(
    request: Request,
    token: str,
    container: ContainerDep,
    form: PostedReport,
) -> Response:
    now = container.now()
    try:
        with container.transaction() as uow:
            report = submit_report(
                uow,
                container.mailroom,
                token,
                form,
                per_hour=container.settings.incident_reports_per_hour,
                ip=client_ip(request),
                now=now,
            )
    except LinkProblem as problem:
        return _link_problem(request, container, problem)
    except TooManyReports as refused:
        return _too_many(request, container, refused, now)
    except InvalidReport as invalid:
        with container.read_uow() as uow:
            link = load_report_link(uow, token, now=now)
        return _form(request, container, link, form, invalid.errors, status_code=422)
    return RedirectResponse(f"/report/{token}/sent/{report.reference}", status_code=303)


@router.get("/report/{token}/sent/{reference}")
def sent(request: Request, token: str, reference: str, container: ContainerDep) -> Response:
    try:
        now = container.now()
        with container.read_uow() as uow:
            report = report_sent_by_link(uow, token, reference, now=now)
    except LinkProblem as problem:
        return _link_problem(request, container, problem)
    return pages_of(request).render(
        request,
        "incidents/report_sent.html",
        {"report": report, "security_mailbox": container.settings.security_mailbox},
    )


def _form(
    request: Request,
    container: Container,
    link: ReportLinkView,
    form: ReportForm,
    errors: dict[str, str],
    *,
    status_code: int = 200,
) -> Response:
    context = {
        **form_context(form, errors),
        "link": link,
        "security_mailbox": container.settings.security_mailbox,
    }
    return pages_of(request).render(
        request, "incidents/report_form.html", context, status_code=status_code
    )


def _too_many(
    request: Request, container: Container, refused: TooManyReports, now: datetime
) -> Response:
    settings = container.settings
    context = {
        "limit": refused.limit,
        "retry_at": moment_text(refused.retry_at, settings.tz),
        "helpline_phone": settings.helpline_phone,
        "security_mailbox": settings.security_mailbox,
    }
    response = pages_of(request).render(
        request, "incidents/too_many.html", context, status_code=429
    )
    wait = max(int((refused.retry_at - now).total_seconds()) + 1, 1)
    response.headers["Retry-After"] = str(wait)
    return response


def _link_problem(request: Request, container: Container, problem: LinkProblem) -> Response:
    return pages_of(request).render(
        request,
        "incidents/link_problem.html",
        {"reason": problem.reason, "security_mailbox": container.settings.security_mailbox},
        status_code=problem.status_code,
    )

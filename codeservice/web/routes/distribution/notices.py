"""``/bmt/notices``: the BMT tells every SPoC at once (§56), and watches the delivery.

Writing a notice and previewing it change nothing; the preview shows the email as it
will go, how many SPoCs it goes to, and carries the notice's id made for it. The
confirmation (a CSRF-protected POST) sends once per id, then redirects to the
notice's delivery page, so a double click, a reload or a second tab sends nothing
more. A form with problems is shown again as typed, with a message per field.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from codeservice.bootstrap import Container
from codeservice.domain.accounts import Principal
from codeservice.domain.notices import MAX_SUBJECT, MAX_TEXT, InvalidNotice
from codeservice.domain.text import whole_number
from codeservice.errors import NotFound
from codeservice.services.distribution.notices import (
    notice_delivery,
    past_notices,
    preview_notice,
    send_notice,
)
from codeservice.web.bmt_pages import BmtTeam, render
from codeservice.web.dependencies import client_ip, container_of, require_csrf

router = APIRouter(include_in_schema=False)
ContainerDep = Annotated[Container, Depends(container_of)]
NOTICES = "/bmt/notices"
NEW_NOTICE = "/bmt/notices/new"
PREVIEW = "/bmt/notices/preview"
FIELD_ANCHORS = {"subject": "#subject", "text": "#text"}
Subject = Annotated[str, Form()]
Text = Annotated[str, Form()]


@router.get(NOTICES)
def notices(request: Request, container: ContainerDep, principal: BmtTeam) -> Response:
    with container.read_uow() as uow:
        found = past_notices(uow)
    context = {
        "notices": found,
        "notices_path": NOTICES,
        "new_notice": NEW_NOTICE,
    }
    return render(request, principal, "bmt/notices.html", context)


@router.get(NEW_NOTICE)
def write(request: Request, principal: BmtTeam) -> Response:
    return _form(request, principal, {"subject": "", "text": ""}, {})


@router.post(NEW_NOTICE, dependencies=[Depends(require_csrf)])
def change(
    request: Request, principal: BmtTeam, subject: Subject = "", text: Text = ""
) -> Response:
    """Back from the preview to the form, as it was typed."""
    return _form(request, principal, {"subject": subject, "text": text}, {})


@router.post(PREVIEW, dependencies=[Depends(require_csrf)])
def preview(
    request: Request,
    container: ContainerDep,
    principal: BmtTeam,
    subject: Subject = "",
    text: Text = "",
) -> Response:
    typed = {"subject": subject, "text": text}
    try:
        with container.read_uow() as uow:
            shown = preview_notice(uow, subject=subject, text=text)
    except InvalidNotice as invalid:
        return _form(request, principal, typed, invalid.errors, status_code=422)
    context = {
        "preview": shown,
        "mail_from": container.settings.mail_from,
        "notices": NOTICES,
        "new_notice": NEW_NOTICE,
    }
    return render(request, principal, "bmt/notice_preview.html", context)


@router.post(NOTICES, dependencies=[Depends(require_csrf)])
def confirm(
    request: Request,
    container: ContainerDep,
    principal: BmtTeam,
    key: Annotated[str, Form()] = "",
    subject: Subject = "",
    text: Text = "",
) -> Response:
    typed = {"subject": subject, "text": text}
    try:
        now = container.now()
        with container.transaction() as uow:
            sent = send_notice(
                uow,
                container.postbox,
                container.keyring,
                key=key,
                subject=subject,
                text=text,
                actor=principal.actor,
                source=client_ip(request),
                now=now,
            )
    except InvalidNotice as invalid:
        return _form(request, principal, typed, invalid.errors, status_code=422)
    return RedirectResponse(f"{NOTICES}/{sent.notice_id}", status_code=303)


@router.get(NOTICES + "/{notice_id}")
def delivery(
    request: Request, notice_id: str, container: ContainerDep, principal: BmtTeam
) -> Response:
    number = whole_number(notice_id)
    if number is None:
        raise NotFound("There is no such notice")
    with container.read_uow() as uow:
        shown = notice_delivery(uow, number)
    context = {"delivery": shown, "notices": NOTICES}
    return render(request, principal, "bmt/notice.html", context)


def _form(
    request: Request,
    principal: Principal,
    typed: dict[str, str],
    errors: dict[str, str],
    *,
    status_code: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "form": typed,
        "errors": errors,
        "error_list": [
            {"text": message, "href": FIELD_ANCHORS[field]} for field, message in errors.items()
        ],
        "action": PREVIEW,
        "max_subject": MAX_SUBJECT,
        "max_text": MAX_TEXT,
        "notices": NOTICES,
    }
    return render(request, principal, "bmt/notice_form.html", context, status_code=status_code)

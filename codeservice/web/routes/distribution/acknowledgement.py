"""``/ack/{token}``: the page a SPoC's acknowledgement link opens, and its one button."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from codeservice.bootstrap import Container
from codeservice.domain.wording import moment_text
from codeservice.services.distribution.acknowledgement import (
    AcknowledgementView,
    acknowledge,
    load_acknowledgement,
)
from codeservice.services.link_tokens import LinkProblem
from codeservice.web.dependencies import client_ip, container_of, pages_of, require_csrf

router = APIRouter()
ContainerDep = Annotated[Container, Depends(container_of)]


@router.api_route("/ack/{token}", methods=["GET", "HEAD"])  # scanners send HEAD too
def show(request: Request, token: str, container: ContainerDep) -> Response:
    try:
        now = container.now()
        with container.read_uow() as uow:
            view = load_acknowledgement(uow, token, now=now)
    except LinkProblem as problem:
        return _link_problem(request, container, problem)
    template = "ack/already.html" if view.acknowledged_at else "ack/confirm.html"
    return _page(request, container, template, view)


@router.post("/ack/{token}", dependencies=[Depends(require_csrf)])
def confirm(request: Request, token: str, container: ContainerDep) -> Response:
    try:
        now = container.now()
        with container.transaction() as uow:
            result = acknowledge(
                uow,
                container.mailroom,
                token,
                ip=client_ip(request),
                user_agent=request.headers.get("user-agent", ""),
                now=now,
            )
    except LinkProblem as problem:
        return _link_problem(request, container, problem)
    template = "ack/already.html" if result.already else "ack/confirmed.html"
    return _page(request, container, template, result.view)


def _page(
    request: Request, container: Container, template: str, view: AcknowledgementView
) -> Response:
    tz = container.settings.tz
    context: dict[str, Any] = {
        "view": view,
        "active_from": moment_text(view.active_from, tz),
        "active_until": moment_text(view.active_until, tz),
        "link_expires": moment_text(view.link_expires_at, tz),
        "acknowledged": moment_text(view.acknowledged_at, tz) if view.acknowledged_at else "",
        "bmt_mailbox": container.settings.bmt_mailbox,
    }
    return pages_of(request).render(request, template, context)


def _link_problem(request: Request, container: Container, problem: LinkProblem) -> Response:
    return pages_of(request).render(
        request,
        "ack/link_problem.html",
        {
            "problem": problem,
            "reason": problem.reason,
            "bmt_mailbox": container.settings.bmt_mailbox,
        },
        status_code=problem.status_code,
    )

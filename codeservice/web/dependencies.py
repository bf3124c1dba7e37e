"""What routes ask FastAPI for: the container, the page renderer, a CSRF check."""

from __future__ import annotations

from typing import cast

from starlette.requests import Request

from codeservice.bootstrap import Container
from codeservice.web.csrf import Csrf
from codeservice.web.limits import check_form_fields
from codeservice.web.templating import Pages

# What the pages call their fields, for messages that name one.
FIELD_LABELS = {
    "details": "Description",
    "subcontractor": "Subcontractor organisation",
    "reason": "Reason",
    "note": "Assessment note",
    "provider": "Provider",
}


def container_of(request: Request) -> Container:
    return cast(Container, request.app.state.container)


def pages_of(request: Request) -> Pages:
    return cast(Pages, request.app.state.pages)


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def require_csrf(request: Request) -> None:
    """Use as ``dependencies=[Depends(require_csrf)]`` on every form-handling POST.

    It also refuses a form with an over-long field (413), before anything reads it.
    """
    form = await request.form()
    limit = container_of(request).settings.max_form_field_chars
    check_form_fields(form, limit, FIELD_LABELS)
    await cast(Csrf, request.app.state.csrf).verify(request)

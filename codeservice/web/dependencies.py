"""What routes ask FastAPI for: the container, the page renderer, a CSRF check."""

from __future__ import annotations

from typing import cast

from starlette.requests import Request

from codeservice.bootstrap import Container
from codeservice.web.csrf import Csrf
from codeservice.web.templating import Pages


def container_of(request: Request) -> Container:
    return cast(Container, request.app.state.container)


def pages_of(request: Request) -> Pages:
    return cast(Pages, request.app.state.pages)


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def require_csrf(request: Request) -> None:
    """Use as ``dependencies=[Depends(require_csrf)]`` on every form-handling POST."""
    await cast(Csrf, request.app.state.csrf).verify(request)

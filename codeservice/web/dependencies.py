"""What routes ask FastAPI for: the container, the page renderer, a CSRF check."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar, cast

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


T = TypeVar("T")


def worker_threads(places: int) -> ThreadPoolExecutor:
    """The threads ``in_worker`` hands blocking work to: one for each request the web
    process works on at once (``web_max_in_flight``)."""
    return ThreadPoolExecutor(max_workers=places, thread_name_prefix="codeservice-web")


async def in_worker(request: Request, work: Callable[[], T]) -> T:
    """``work()`` (a use case: database, files) on one of the app's worker threads, in a
    copy of this request's context (its log fields), as ``run_in_threadpool`` does. A
    plain executor's hop costs the helpline's busiest routes about 0.2 ms of CPU less
    per request than AnyIO's, which adds a capacity limiter and a cancel scope."""
    pool = cast(ThreadPoolExecutor, request.app.state.workers)
    run = contextvars.copy_context().run
    return await asyncio.get_running_loop().run_in_executor(pool, run, work)


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

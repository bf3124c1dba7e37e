"""What routes ask FastAPI for: the container, the page renderer, a CSRF check."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar, cast

from starlette.requests import Request

from codeservice.bootstrap import Container
from codeservice.storage.db import WouldWait, without_waiting
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


class LoopTurns:
    """At most one piece of work done on the event loop in each of its turns.

    Work done on the loop never yields. Were several done back to back in one turn, the
    requests that came meanwhile would wait unseen in front of the loop, the excess
    getting its 503 only after all of them, or, arriving with them, never meeting a
    full gate at all (each passing it alone). One a turn, the loop reads what came
    between two of them, and the gate counts every request that waits for a turn."""

    def __init__(self) -> None:
        self._taken = False

    async def take(self) -> None:
        while self._taken:
            await asyncio.sleep(0)
        self._taken = True
        asyncio.get_running_loop().call_soon(self._give_back)  # in the loop's next turn

    def _give_back(self) -> None:
        self._taken = False


async def at_once_or_in_worker(request: Request, work: Callable[[], T]) -> T:
    """``work()`` (one short write transaction: the helpline API's) right here on the
    event loop when its database is SQLite and the write lock is free this instant;
    otherwise, having done nothing, on a worker thread as ``in_worker``.

    A writer on SQLite holds the one write lock however many threads wait for it, so
    the threads added nothing but their cost: the hand-over, and the event loop and the
    writer taking the interpreter's lock from each other at every call into SQLite
    (measured: more than half the server's CPU per helpline request). The loop is held
    for the transaction alone, a few milliseconds with its commit's sync, one
    transaction a turn of the loop (``LoopTurns``)."""
    container = container_of(request)
    if container.writes_at_once:
        await cast(LoopTurns, request.app.state.loop_turns).take()
        try:
            with without_waiting():
                return contextvars.copy_context().run(work)
        except WouldWait:
            pass
    return await in_worker(request, work)


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

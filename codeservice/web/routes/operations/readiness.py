"""GET /readyz: can this process do its work? For a load balancer or systemd.

200 when the database answers, 503 when it does not (or not within a few seconds).
The answer also says whether this process leads the scheduler and how big the outbox
backlog is; ``codeservice serve`` tells the app about its scheduler and mail worker
through ``app.state.scheduler_state`` and ``app.state.mail_worker_state``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from codeservice.bootstrap import Container
from mailer import outbox

log = logging.getLogger(__name__)
router = APIRouter()

DATABASE_TIMEOUT_SECONDS = 5.0
NO_STORE = {"Cache-Control": "no-store"}


def _backlog(container: Container) -> dict[str, int]:
    with container.read_uow() as uow:
        return outbox.backlog(uow.session, container.now())


def _state(request: Request, name: str) -> str:
    state: Callable[[], str] | None = getattr(request.app.state, name, None)
    return "off" if state is None else state()


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    container: Container = request.app.state.container
    body: dict[str, Any] = {
        "scheduler": _state(request, "scheduler_state"),
        "mail_worker": _state(request, "mail_worker_state"),
    }
    try:
        backlog = await asyncio.wait_for(
            asyncio.to_thread(_backlog, container), timeout=DATABASE_TIMEOUT_SECONDS
        )
    except Exception as exc:
        log.warning("readiness: the database cannot be reached: %s", type(exc).__name__)
        body["database"] = "unreachable"
        return JSONResponse(body, status_code=503, headers=NO_STORE)
    body["database"] = "ok"
    body["outbox"] = backlog
    return JSONResponse(body, headers=NO_STORE)

"""``/api/v1/challenges``: the security check for the helpline's telephony or CRM.

A machine with an agent's API token starts a challenge for the caller's organisation
and sends back the three characters the caller gave; it gets positions and a result,
never a code character. Every error is ``{"error": {"code": ..., "message": ...}}``,
and no error message repeats what was sent (it may be most of an answer).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import datetime
from functools import partial
from typing import Any, Literal

from fastapi import APIRouter, Security
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi.security import HTTPBearer
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from codeservice.domain.accounts import Role
from codeservice.domain.challenges import Result
from codeservice.errors import CodeserviceError
from codeservice.services.helpline import (
    ChallengeView,
    answer_challenge_in,
    resolve_ref,
    start_challenge_in,
)
from codeservice.web.access_log import error_log
from codeservice.web.api_errors import CODE_BY_STATUS, MESSAGE_BY_STATUS, invalid_request_message
from codeservice.web.api_errors import api_error as shared_api_error
from codeservice.web.auth import (
    ApiForbidden,
    ApiUnauthenticated,
    require_api_role,
    require_api_role_in,
)
from codeservice.web.dependencies import at_once_or_in_worker, client_ip, container_of
from codeservice.web.errors import status_for

CHALLENGES = "/api/v1/challenges"
NO_STORE = {"Cache-Control": "no-store"}

# The service's error codes and the status each is sent with.
STATUS_BY_CODE: dict[str, int] = {
    "invalid_request": 400,
    "too_large": 413,
    "unsupported_media_type": 415,
    "unauthenticated": 401,
    "forbidden": 403,
    "challenge_not_found": 404,
    "challenge_answered": 409,
    "no_code_in_force": 409,
    "challenge_expired": 410,
    "not_eligible": 422,
    "ambiguous_provider": 422,
    "answer_malformed": 422,
    "verification_locked": 423,
}


# --- bodies -----------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ChallengeRequest(_Strict):
    provider_ref: str = Field(
        min_length=1,
        max_length=100,
        description="The caller's organisation: its ref on the approved provider list "
        "(a prime provider or a subcontractor).",
        examples=["PRV001"],
    )


class ChallengeCreated(BaseModel):
    id: str = Field(description="Send the answer to this challenge; single use.")
    positions: list[int] = Field(
        min_length=3,
        max_length=3,
        description="The positions (1-8) of the access code to ask the caller for, in order.",
        examples=[[2, 5, 8]],
    )
    expires_at: datetime = Field(description="The challenge cannot be answered after this.")


class AnswerRequest(_Strict):
    characters: str = Field(
        min_length=1,
        max_length=32,
        description="The three characters the caller gave, in the order of the positions "
        "asked; case-sensitive. Spaces between them are ignored.",
        examples=["xY7"],
    )


class AnswerResult(BaseModel):
    result: Literal["pass", "fail"]


class ErrorDetail(BaseModel):
    code: str = Field(examples=["challenge_expired"])
    message: str


class ApiError(BaseModel):
    error: ErrorDetail


def _documented(*codes: str) -> dict[int | str, dict[str, Any]]:
    by_status: dict[int, list[str]] = {}
    common = ("invalid_request", "unauthenticated", "forbidden", "too_large")
    for code in (*common, "unsupported_media_type", *codes):
        by_status.setdefault(STATUS_BY_CODE[code], []).append(code)
    return {
        status: {"model": ApiError, "description": "Error code: " + " or ".join(names)}
        for status, names in sorted(by_status.items())
    }


# --- errors as JSON ---------------------------------------------------------------------


def api_error(
    code: str, message: str, status: int | None = None, headers: dict[str, str] | None = None
) -> Response:
    return shared_api_error(code, message, status or STATUS_BY_CODE.get(code, 400), headers)


def _sends_json(request: Request) -> bool:
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return kind == "application/json" or (kind.startswith("application/") and "+json" in kind)


class HelplineApiRoute(APIRoute):
    """Answers every error of these routes, authentication's included, as JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await handle(request)
            except RequestValidationError as exc:
                # Checked here, not first, so that a caller without a token hears 401.
                try:
                    await run_in_threadpool(agent_machine, request)
                except (ApiUnauthenticated, ApiForbidden) as refused:
                    return _refusal(refused)
                if not _sends_json(request):
                    return api_error("unsupported_media_type", MESSAGE_BY_STATUS[415])
                return api_error("invalid_request", invalid_request_message(exc))
            except (ApiUnauthenticated, ApiForbidden) as exc:
                return _refusal(exc)
            except CodeserviceError as exc:
                status = status_for(exc)
                # An error without a code of its own (an input refused, say) is named by
                # its status, never by a bare "error".
                code = str(getattr(exc, "code", None) or CODE_BY_STATUS.get(status, "error"))
                status = STATUS_BY_CODE.get(code) or status
                if status >= 500:  # written for an operator: not for the caller
                    error_log.error("%s on %s: %s", type(exc).__name__, CHALLENGES, exc)
                    return api_error("server_error", "the service cannot do this now", 500)
                return api_error(code, str(exc), status)

        return handler


def _refusal(exc: ApiUnauthenticated | ApiForbidden) -> Response:
    if isinstance(exc, ApiForbidden):
        return api_error("forbidden", str(exc))
    return api_error(
        "unauthenticated", str(exc), headers={"WWW-Authenticate": 'Bearer realm="codeservice"'}
    )


bearer = HTTPBearer(
    auto_error=False,
    scheme_name="apiToken",
    description="An API token from `codeservice tokens create`; these need the agent role.",
)
router = APIRouter(
    route_class=HelplineApiRoute,
    tags=["Helpline security check"],
    dependencies=[Security(bearer)],
)
# The routes are ``async``: each runs the token check and the use case together, in
# the use case's own transaction (one a request), rather than one thread hop for every
# dependency and another for the route. On SQLite that transaction runs on the event
# loop itself when the write lock is free, else on a worker thread
# (``at_once_or_in_worker``); on PostgreSQL always on a worker thread.
agent_machine = require_api_role(Role.AGENT)


@router.post(
    CHALLENGES,
    status_code=201,
    response_model=ChallengeCreated,
    responses=_documented(
        "not_eligible", "ambiguous_provider", "verification_locked", "no_code_in_force"
    ),
    summary="Start the access code security check for a caller",
)
async def create_challenge(body: ChallengeRequest, request: Request) -> Response:
    def work() -> ChallengeView:
        container = container_of(request)
        now = container.now()
        with container.uow() as uow:
            principal = require_api_role_in(uow, request, Role.AGENT, now=now)
            return start_challenge_in(
                uow,
                container.helpdesk,
                body.provider_ref,
                resolve=partial(resolve_ref, container.read_uow),
                agent=principal.actor,
                now=now,
                source=client_ip(request),
            )

    view = await at_once_or_in_worker(request, work)
    created = ChallengeCreated(
        id=view.id, positions=list(view.positions), expires_at=view.expires_at
    )
    return _json(201, created)


@router.post(
    CHALLENGES + "/{challenge_id}/answer",
    response_model=AnswerResult,
    responses=_documented(
        "challenge_not_found",
        "challenge_answered",
        "challenge_expired",
        "answer_malformed",
        "verification_locked",
        "no_code_in_force",
    ),
    summary="Check the three characters the caller gave: pass or fail",
)
async def answer(challenge_id: str, body: AnswerRequest, request: Request) -> Response:
    def work() -> Result:
        container = container_of(request)
        now = container.now()
        with container.uow() as uow:
            principal = require_api_role_in(uow, request, Role.AGENT, now=now)
            return answer_challenge_in(
                uow,
                container.helpdesk,
                challenge_id,
                body.characters,
                agent=principal.actor,
                now=now,
                source=client_ip(request),
            )

    result = await at_once_or_in_worker(request, work)
    return _json(200, AnswerResult(result=result))


def _json(status: int, body: BaseModel) -> Response:
    """The body as ``response_model`` documents it, sent as it is: FastAPI would
    validate and encode it again on its way out, for nothing."""
    return Response(
        body.model_dump_json(), status_code=status, media_type="application/json", headers=NO_STORE
    )

"""``/api/v1``: what the BMT dashboard shows, as JSON, described at ``/openapi.json``.

Read-only, for the BMT role: a Bearer token (``codeservice tokens create``) or, from
a browser, a signed-in session. Every answer is ``no-store``; every error is
``{"error": {"code": ..., "message": ...}}`` with a 4xx status. Parameters are checked
here rather than by FastAPI so that a bad one gets that JSON error, not the HTML page
the rest of the service shows.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Security
from fastapi.openapi.utils import get_openapi
from fastapi.routing import iter_route_contexts
from fastapi.security import HTTPBearer
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from codeservice.bootstrap import Container
from codeservice.domain.accounts import Principal, Role
from codeservice.domain.calendar import Cycle
from codeservice.errors import InputError
from codeservice.services.distribution.board import CycleBoard
from codeservice.services.distribution.dashboard import cycle_board, known_cycles
from codeservice.services.register.providers import find_provider, list_register
from codeservice.storage.uow import UnitOfWork
from codeservice.web.api_models import (
    CycleDetail,
    CycleList,
    Dashboard,
    ErrorBody,
    ProviderList,
    cycle_detail,
    cycle_overview,
    cycle_summary,
    provider_model,
)
from codeservice.web.auth import ApiForbidden, ApiUnauthenticated, require_api_role
from codeservice.web.dependencies import container_of

PREFIX = "/api/v1"
OPENAPI_PATH = "/openapi.json"
CYCLE_PATTERN = r"^(19|20)\d{2}-(0[1-9]|1[0-2])$"
MAX_QUERY = 200
_CYCLE = re.compile(CYCLE_PATTERN)
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}
NO_STORE = {"Cache-Control": "no-store"}
API_DESCRIPTION = (
    "Every operation takes an API token as a Bearer credential (`codeservice tokens "
    "create NAME --role ROLE`); each says which role it needs. Answers are never cached "
    "(`Cache-Control: no-store`) and never hold an access code or an unlock code."
)

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="apiToken",
    description="An API token for the bmt role, from `codeservice tokens create`.",
)


class ApiProblem(Exception):
    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def _problem_response(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiProblem)
    body = ErrorBody.model_validate({"error": {"code": exc.code, "message": exc.message}})
    return JSONResponse(
        body.model_dump(), status_code=exc.status, headers={**NO_STORE, **exc.headers}
    )


_bmt_only = require_api_role(Role.BMT)


def bmt_client(request: Request) -> Principal:
    try:
        return _bmt_only(request)
    except ApiUnauthenticated as exc:
        headers = {"WWW-Authenticate": 'Bearer realm="codeservice"'}
        raise ApiProblem(401, "unauthenticated", str(exc), headers) from None
    except ApiForbidden as exc:
        raise ApiProblem(403, "forbidden", str(exc)) from None


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "No valid API token (or session)"},
    403: {"model": ErrorBody, "description": "The token's role may not use this"},
    422: {"model": ErrorBody, "description": "A parameter is not valid"},
}
router = APIRouter(
    prefix=PREFIX,
    tags=["BMT dashboard"],
    dependencies=[Security(bearer), Depends(bmt_client)],
    responses=ERRORS,
)
schema_router = APIRouter(include_in_schema=False)
ContainerDep = Annotated[Container, Depends(container_of)]
CycleParam = Annotated[
    str,
    Path(
        description="A cycle, named by the month its code is mostly used in.",
        examples=["2027-04"],
        json_schema_extra={"pattern": CYCLE_PATTERN},
    ),
]
QueryText = Annotated[
    str,
    Query(
        description="Part of a provider's ref or name (any case); an exact ref comes first.",
        json_schema_extra={"maxLength": MAX_QUERY},
    ),
]
IncludeInactive = Annotated[
    str,
    Query(
        description="Include deactivated providers and SPoCs.",
        json_schema_extra={"type": "boolean", "default": False},
    ),
]


def _cycle(text: str) -> Cycle:
    if not _CYCLE.fullmatch(text):
        raise ApiProblem(422, "invalid-cycle", "a cycle is written YYYY-MM, e.g. 2027-04")
    return Cycle.parse(text)


def _board(uow: UnitOfWork, container: Container, cycle: Cycle, now: datetime) -> CycleBoard:
    try:
        return cycle_board(uow, container.calendar, cycle, now=now)
    except InputError as exc:  # a year whose bank holidays are not known
        raise ApiProblem(422, "invalid-cycle", str(exc)) from None


@router.get("/dashboard", summary="The cycle in force and the next one")
def dashboard(response: Response, container: ContainerDep) -> Dashboard:
    now = container.now()
    in_force = container.calendar.cycle_in_force(now)
    response.headers.update(NO_STORE)
    with container.read_uow() as uow:
        return Dashboard(
            generated_at=now,
            in_force=cycle_overview(_board(uow, container, in_force, now)),
            next=cycle_overview(_board(uow, container, in_force.next(), now)),
        )


@router.get("/cycles", summary="Every cycle with codes, and the one in force and the next")
def cycles(response: Response, container: ContainerDep) -> CycleList:
    response.headers.update(NO_STORE)
    now = container.now()
    with container.read_uow() as uow:
        known = known_cycles(uow, container.calendar, now=now)
        return CycleList(cycles=[cycle_summary(_board(uow, container, c, now)) for c in known])


@router.get("/cycles/{cycle}", summary="Where each provider and SPoC stands in a cycle")
def cycle(cycle: CycleParam, response: Response, container: ContainerDep) -> CycleDetail:
    response.headers.update(NO_STORE)
    wanted = _cycle(cycle)
    with container.read_uow() as uow:
        return cycle_detail(_board(uow, container, wanted, container.now()))


@router.get("/providers", summary="The register, or the providers matching a search")
def providers(
    response: Response,
    container: ContainerDep,
    q: QueryText = "",
    include_inactive: IncludeInactive = "false",
) -> ProviderList:
    if len(q) > MAX_QUERY:
        raise ApiProblem(422, "invalid-query", f"q is at most {MAX_QUERY} characters")
    inactive = _BOOLEANS.get(include_inactive.lower())
    if inactive is None:
        raise ApiProblem(422, "invalid-include-inactive", "include_inactive is true or false")
    with container.read_uow() as uow:
        if q.strip():
            views = find_provider(uow, q, include_inactive=inactive)
        else:
            views = list_register(uow, include_inactive=inactive)
    response.headers.update(NO_STORE)
    return ProviderList(
        query=q or None, count=len(views), providers=[provider_model(view) for view in views]
    )


def openapi_document(app: FastAPI) -> dict[str, Any]:
    """The description of the service's JSON API: every route under ``/api/``.

    The pages are not an API and stay out of it, whatever their router says.
    """
    if app.openapi_schema is None:
        routes = [
            context
            for context in iter_route_contexts(app.routes)
            if (context.path or "").startswith("/api/")
        ]
        app.openapi_schema = get_openapi(
            title="Provider Direct access codes API",
            version="1.0.0",
            summary="The BMT dashboard's data and the helpline's verification, as JSON.",
            description=API_DESCRIPTION,
            routes=routes,
        )
    return app.openapi_schema


@schema_router.get(OPENAPI_PATH)
def openapi_json(request: Request) -> JSONResponse:
    return JSONResponse(openapi_document(request.app))


def install(app: FastAPI) -> None:
    """The BMT API, ``/openapi.json``, and ``app.openapi()`` giving the same document."""
    app.include_router(router)
    app.include_router(schema_router)
    app.add_exception_handler(ApiProblem, _problem_response)
    app.openapi = lambda: openapi_document(app)  # type: ignore[method-assign]

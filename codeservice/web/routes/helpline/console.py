"""``/helpline``: the agent's console for the access code security check (§21–23).

Search the approved provider list, start a check, ask for the three positions shown,
type the three characters the caller gives, see pass or fail. The agent never sees the
code, and no page holds what was typed: a form sent with a mistake comes back empty.
Characters only ever travel in a POST body, never in a URL.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from codeservice.bootstrap import Container
from codeservice.domain.accounts import Principal, Role
from codeservice.domain.challenges import (
    AmbiguousProvider,
    ChallengeAnswered,
    ChallengeExpired,
    NoCodeInForce,
    NotEligible,
    VerificationLocked,
)
from codeservice.errors import InputError
from codeservice.services.helpline import (
    ChallengeStatus,
    answer_challenge,
    get_challenge,
    resolve_ref,
    search_providers,
    start_challenge,
    verification_locks,
)
from codeservice.web.auth import require_role
from codeservice.web.dependencies import client_ip, container_of, require_csrf
from codeservice.web.navigation import HELPLINE_CONSOLE, staff_page

router = APIRouter()
CHALLENGES = HELPLINE_CONSOLE + "/challenges"
ContainerDep = Annotated[Container, Depends(container_of)]
Agent = Annotated[Principal, Depends(require_role(Role.AGENT))]
_MAX_QUERY = 200
_FIELDS = ("character-1", "character-2", "character-3")


@router.get(HELPLINE_CONSOLE)
def console(request: Request, container: ContainerDep, principal: Agent, q: str = "") -> Response:
    query = q.strip()[:_MAX_QUERY]
    now = container.now()
    if "q" in request.query_params and not query:
        return _search_page(
            request, container, principal, query, now=now, error="Enter a name or ref"
        )
    return _search_page(request, container, principal, query, now=now)


@router.post(CHALLENGES, dependencies=[Depends(require_csrf)])
def start(
    request: Request,
    container: ContainerDep,
    principal: Agent,
    provider: Annotated[str, Form()] = "",
) -> Response:
    ref = provider.strip()[:_MAX_QUERY]
    now = container.now()
    if not ref:
        return _search_page(
            request,
            container,
            principal,
            "",
            now=now,
            error="Search for the caller's organisation first",
        )
    try:
        view = start_challenge(
            container.uow,
            container.helpdesk,
            ref,
            resolve=partial(resolve_ref, container.read_uow),
            agent=principal.actor,
            now=now,
            source=client_ip(request),
        )
    except VerificationLocked:
        return _stopped(request, container, principal, "locked", name=_prime_name(container, ref))
    except NoCodeInForce:
        return _stopped(request, container, principal, "no-code", name=_prime_name(container, ref))
    except (NotEligible, AmbiguousProvider, InputError) as refused:
        return _search_page(
            request, container, principal, ref, now=now, error=_sentence(str(refused))
        )
    return RedirectResponse(f"{CHALLENGES}/{view.id}", status_code=303)


@router.get(CHALLENGES + "/{challenge_id}")
def challenge(
    request: Request, challenge_id: str, container: ContainerDep, principal: Agent
) -> Response:
    status = _status(container, challenge_id, container.now())
    if status.state != "open":
        return _stopped(request, container, principal, status.state, status=status)
    return _challenge_page(request, container, principal, status)


@router.post(CHALLENGES + "/{challenge_id}/answer", dependencies=[Depends(require_csrf)])
def answer(
    request: Request,
    challenge_id: str,
    container: ContainerDep,
    principal: Agent,
    first: Annotated[str, Form(alias="character-1")] = "",
    second: Annotated[str, Form(alias="character-2")] = "",
    third: Annotated[str, Form(alias="character-3")] = "",
) -> Response:
    now = container.now()
    status = _status(container, challenge_id, now)
    given = [value.strip() for value in (first, second, third)]
    if status.state == "open":
        errors = _character_errors(status, given)
        if errors:
            return _challenge_page(request, container, principal, status, errors=errors)
    try:
        result = answer_challenge(
            container.uow,
            container.helpdesk,
            challenge_id,
            "".join(given),
            agent=principal.actor,
            now=now,
            source=client_ip(request),
        )
    except ChallengeExpired:
        return _stopped(request, container, principal, "expired", status=status)
    except ChallengeAnswered:
        status = _status(container, challenge_id, now)
        return _stopped(request, container, principal, "answered", status=status)
    except VerificationLocked:
        return _stopped(request, container, principal, "locked", name=status.challenge.prime_name)
    except NoCodeInForce:
        return _stopped(request, container, principal, "no-code", name=status.challenge.prime_name)
    return _render(
        request,
        principal,
        "helpline/result.html",
        {"result": result, "challenge": status.challenge},
    )


# --- pages ------------------------------------------------------------------------------


def _search_page(
    request: Request,
    container: Container,
    principal: Principal,
    query: str,
    *,
    now: datetime,
    error: str | None = None,
) -> Response:
    results: list[Any] = []
    locked: set[str] = set()
    if query and error is None:
        try:
            results = search_providers(container.read_uow, query)
        except InputError as refused:
            error = _sentence(str(refused))
        with container.read_uow() as uow:
            locks = verification_locks(uow, container.helpdesk.tz, now=now)
        locked = {lock.provider_ref for lock in locks}
    rows = [
        {
            "view": view,
            "locked": (view.prime_ref or view.ref) in locked,
        }
        for view in results
    ]
    return _render(
        request,
        principal,
        "helpline/search.html",
        {"query": query, "rows": rows, "error": error, "searched": bool(query)},
        status_code=422 if error else 200,
    )


def _challenge_page(
    request: Request,
    container: Container,
    principal: Principal,
    status: ChallengeStatus,
    *,
    errors: dict[str, str] | None = None,
) -> Response:
    errors = errors or {}
    view = status.challenge
    expires = view.expires_at.astimezone(container.settings.tz)
    return _render(
        request,
        principal,
        "helpline/challenge.html",
        {
            "challenge": view,
            "positions_text": _positions_text(view.positions),
            "fields": list(zip(_FIELDS, view.positions, strict=True)),
            "expires": f"{expires:%H:%M}",
            "minutes": container.settings.challenge_minutes,
            "errors": errors,
            "error_list": [{"text": text, "href": f"#{field}"} for field, text in errors.items()],
        },
        status_code=422 if errors else 200,
    )


def _stopped(
    request: Request,
    container: Container,
    principal: Principal,
    kind: str,
    *,
    name: str = "",
    status: ChallengeStatus | None = None,
) -> Response:
    """A check that cannot go on: locked, no code in force, expired or already answered."""
    context = {
        "kind": kind,
        "name": name,
        "status": status,
        "minutes": container.settings.challenge_minutes,
    }
    return _render(request, principal, "helpline/stopped.html", context)


def _render(
    request: Request,
    principal: Principal,
    template: str,
    context: dict[str, Any],
    status_code: int = 200,
) -> Response:
    context = {**context, "console": HELPLINE_CONSOLE, "challenges": CHALLENGES}
    return staff_page(request, principal, template, context, status_code=status_code)


# --- helpers ----------------------------------------------------------------------------


def _character_errors(status: ChallengeStatus, given: list[str]) -> dict[str, str]:
    errors: dict[str, str] = {}
    for field, position, value in zip(_FIELDS, status.challenge.positions, given, strict=True):
        if not value:
            errors[field] = f"Enter character {position}"
        elif len(value) != 1:
            errors[field] = f"Enter only one character for character {position}"
    return errors


def _positions_text(positions: tuple[int, ...]) -> str:
    """(2, 5, 8) -> '2, 5 and 8'."""
    *rest, last = (str(p) for p in positions)
    return f"{', '.join(rest)} and {last}"


def _status(container: Container, challenge_id: str, now: datetime) -> ChallengeStatus:
    with container.uow() as uow:
        return get_challenge(uow, challenge_id, now=now)


def _prime_name(container: Container, ref: str) -> str:
    """Whose verification a refusal is about: the caller's prime provider."""
    for view in search_providers(container.read_uow, ref):
        if view.ref.casefold() == ref.casefold():
            return view.prime_name or view.name
    return ref


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]

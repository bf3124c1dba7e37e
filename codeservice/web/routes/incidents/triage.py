"""``/security/incidents``: the security team's triage of Annex B reports (§51–52).

The list shows how long each report has waited; a report's page shows it in full with
its steps so far, and the next step's form: assess, then decide reissue or no change
with the reason. Deciding reissue replaces the provider's codes before the page comes
back. Proformas received by email are entered at ``/security/incidents/new``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from codeservice.bootstrap import Container
from codeservice.domain.accounts import Principal, Role
from codeservice.domain.triage import TriageState, waiting_text
from codeservice.domain.wording import moment_text
from codeservice.errors import CodeserviceError, InputError
from codeservice.services.incidents.reissue import complete_reissue
from codeservice.services.incidents.triage import assess_report, decide_report
from codeservice.services.incidents.views import IncidentView, get_report, list_reports
from codeservice.web.auth import require_role
from codeservice.web.dependencies import client_ip, container_of, require_csrf
from codeservice.web.navigation import SECURITY_INCIDENTS, staff_page

router = APIRouter()
TRIAGE = SECURITY_INCIDENTS
ContainerDep = Annotated[Container, Depends(container_of)]
SecurityTeam = Annotated[Principal, Depends(require_role(Role.SECURITY))]
OPEN_STATES = [TriageState.RECEIVED.value, TriageState.ASSESSED.value]


@router.get(TRIAGE)
def reports(
    request: Request, container: ContainerDep, principal: SecurityTeam, show: str = "open"
) -> Response:
    everything = show == "all"
    now = container.now()
    with container.read_uow() as uow:
        views = list_reports(uow, states=None if everything else OPEN_STATES)
    tz = container.settings.tz
    rows = [
        {
            "view": view,
            "received": moment_text(view.received_at, tz),
            "waited": waiting_text(view.waiting(now)),
        }
        for view in views
    ]
    context = {"rows": rows, "everything": everything, "triage": TRIAGE}
    return staff_page(request, principal, "incidents/triage_list.html", context)


def _view(container: Container, reference: str) -> IncidentView:
    with container.read_uow() as uow:
        return get_report(uow, reference)


@router.get(TRIAGE + "/{reference}")
def report(
    request: Request,
    reference: str,
    container: ContainerDep,
    principal: SecurityTeam,
    done: str = "",
    cancelled: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    view = _view(container, reference)
    return _report_page(request, container, principal, view, done=done, cancelled=cancelled)


@router.post(TRIAGE + "/{reference}/assess", dependencies=[Depends(require_csrf)])
def assess(
    request: Request,
    reference: str,
    container: ContainerDep,
    principal: SecurityTeam,
    note: Annotated[str, Form()] = "",
) -> Response:
    try:
        now = container.now()
        with container.transaction() as uow:
            view = assess_report(
                uow,
                container.keyring,
                reference,
                actor=principal.actor,
                source=client_ip(request),
                note=note,
                now=now,
            )
    except InputError as error:
        view = _view(container, reference)
        return _report_page(
            request,
            container,
            principal,
            view,
            errors={"note": str(error)},
            typed={"note": note},
        )
    return RedirectResponse(f"{TRIAGE}/{view.reference}?done=assessed", status_code=303)


@router.post(TRIAGE + "/{reference}/decide", dependencies=[Depends(require_csrf)])
def decide(
    request: Request,
    reference: str,
    container: ContainerDep,
    principal: SecurityTeam,
    decision: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    errors: dict[str, str] = {}
    if decision not in (TriageState.REISSUE.value, TriageState.NO_CHANGE.value):
        errors["decision"] = "Select whether the access code must change"
    if not reason.strip():
        errors["decision-reason"] = "Enter the reason for the decision"
    if not errors:
        try:
            source = client_ip(request)
            now = container.now()
            with container.transaction() as uow:
                result = decide_report(
                    uow,
                    container.keyring,
                    reference,
                    decision=decision,
                    reason=reason,
                    actor=principal.actor,
                    source=source,
                    now=now,
                )
            reissue = (
                None
                if result.reissue_id is None
                else complete_reissue(
                    container.read_uow,
                    container.uow,
                    container.issuer,
                    result.reissue_id,
                    actor=principal.actor,
                    source=source,
                    now=now,
                )
            )
        except InputError as error:
            errors["decision-reason"] = sentence(str(error))
        except CodeserviceError as error:  # a final decision, nothing to reissue...
            errors["decision"] = sentence(str(error))
        else:
            cancelled = reissue.emails_cancelled if reissue else 0
            return RedirectResponse(
                f"{TRIAGE}/{result.view.reference}?done=decided&cancelled={cancelled}",
                status_code=303,
            )
    view = _view(container, reference)
    return _report_page(
        request,
        container,
        principal,
        view,
        errors=errors,
        typed={"decision": decision, "reason": reason},
    )


def sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _report_page(
    request: Request,
    container: Container,
    principal: Principal,
    view: IncidentView,
    *,
    done: str = "",
    cancelled: int = 0,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
) -> Response:
    tz = container.settings.tz
    errors = errors or {}
    anchors = {"note": "#note", "decision": "#decision", "decision-reason": "#decision-reason"}
    context: dict[str, Any] = {
        "view": view,
        "received": moment_text(view.received_at, tz),
        "assessed": moment_text(view.assessed_at, tz) if view.assessed_at else "",
        "decided": moment_text(view.decided_at, tz) if view.decided_at else "",
        "reissued": (
            moment_text(view.reissue_completed_at, tz) if view.reissue_completed_at else ""
        ),
        "waited": waiting_text(view.waiting(container.now())),
        "done": done,
        "cancelled": cancelled,
        "errors": errors,
        "error_list": [{"text": m, "href": anchors[f]} for f, m in errors.items()],
        "typed": typed or {},
        "triage": TRIAGE,
    }
    status = 422 if errors else 200
    return staff_page(
        request, principal, "incidents/triage_report.html", context, status_code=status
    )

"""``/security/incidents/new``: a proforma received by email (§51), entered by the
security team for the provider it is about; it then waits for triage like a report made
from a SPoC's link. Its router is included before triage's, whose ``/{reference}``
would otherwise take ``new``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from codeservice.bootstrap import Container
from codeservice.domain.accounts import Principal
from codeservice.domain.incidents import InvalidReport
from codeservice.errors import InputError, NotFound
from codeservice.services.incidents.reports import ReportForm, record_report_form
from codeservice.services.register.providers import list_register
from codeservice.web.dependencies import client_ip, require_csrf
from codeservice.web.navigation import staff_page
from codeservice.web.routes.incidents.form import FIELD_ANCHORS, PostedReport, form_context
from codeservice.web.routes.incidents.triage import (
    TRIAGE,
    ContainerDep,
    SecurityTeam,
    sentence,
)

router = APIRouter()


@router.get(TRIAGE + "/new")
def new_report(request: Request, container: ContainerDep, principal: SecurityTeam) -> Response:
    return _new_form(request, container, principal, "", ReportForm(), {})


@router.post(TRIAGE + "/new", dependencies=[Depends(require_csrf)])
def record(
    request: Request,
    container: ContainerDep,
    principal: SecurityTeam,
    form: PostedReport,
    provider: Annotated[str, Form()] = "",
) -> Response:
    if not provider:
        errors = {"provider": "Select the prime provider the proforma is about"}
        return _new_form(request, container, principal, provider, form, errors)
    try:
        now = container.now()
        with container.transaction() as uow:
            view = record_report_form(
                uow,
                container.mailroom,
                provider,
                form,
                actor=principal.actor,
                source=client_ip(request),
                now=now,
            )
    except InvalidReport as invalid:
        return _new_form(request, container, principal, provider, form, invalid.errors)
    except NotFound:  # not one of the providers offered
        errors = {"provider": "Select the prime provider the proforma is about"}
        return _new_form(request, container, principal, provider, form, errors)
    except InputError as refused:  # a subcontractor, or a ref no provider can have
        errors = {"provider": sentence(str(refused))}
        return _new_form(request, container, principal, provider, form, errors)
    return RedirectResponse(f"{TRIAGE}/{view.reference}?done=recorded", status_code=303)


def _new_form(
    request: Request,
    container: Container,
    principal: Principal,
    provider: str,
    form: ReportForm,
    errors: dict[str, str],
) -> Response:
    with container.read_uow() as uow:
        primes = [p for p in list_register(uow) if p.is_prime]
    context = {
        **form_context(form, errors, {"provider": "#provider", **FIELD_ANCHORS}),
        "providers": [
            {"value": "", "text": "Select a provider"},
            *(
                {"value": p.ref, "text": f"{p.name} ({p.ref})", "selected": p.ref == provider}
                for p in primes
            ),
        ],
        "triage": TRIAGE,
    }
    status = 422 if errors else 200
    return staff_page(request, principal, "incidents/triage_new.html", context, status_code=status)

"""``/bmt/register/{ref}``: one provider — details, security plan, SPoCs, codes, history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from codeservice.bootstrap import Container
from codeservice.domain.register import REF_PATTERN
from codeservice.errors import NotFound
from codeservice.services.register.provider_page import provider_page
from codeservice.web.bmt_pages import BMT_REGISTER, BmtTeam, render
from codeservice.web.dependencies import container_of

router = APIRouter(include_in_schema=False)
ContainerDep = Annotated[Container, Depends(container_of)]


@router.get(BMT_REGISTER + "/{ref}")
def provider(request: Request, ref: str, container: ContainerDep, principal: BmtTeam) -> Response:
    if not REF_PATTERN.match(ref):
        raise NotFound("There is no provider with this reference on the register")
    page = provider_page(container, ref)
    return render(request, principal, "bmt/provider.html", {"page": page, "view": page.view})

"""``/api/whoami``: lets a machine check its token (and a browser its session)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.responses import JSONResponse

from codeservice.domain.accounts import Principal
from codeservice.web.auth import ALL_ROLES, require_api_role

router = APIRouter()


@router.get("/api/whoami")
def whoami(
    principal: Annotated[Principal, Depends(require_api_role(*ALL_ROLES))],
) -> JSONResponse:
    return JSONResponse(
        {"kind": principal.kind, "name": principal.name, "role": principal.role.value},
        headers={"Cache-Control": "no-store"},
    )

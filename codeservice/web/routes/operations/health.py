from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """For a load balancer: the process answers. Touches no database."""
    return {"status": "ok"}

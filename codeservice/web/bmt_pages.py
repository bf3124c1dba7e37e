"""What the BMT dashboard's pages share: paths, the role check, rendering, dates."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends
from starlette.requests import Request
from starlette.responses import HTMLResponse

from codeservice.domain.accounts import Principal, Role
from codeservice.domain.calendar import Cycle, CycleDates
from codeservice.domain.wording import cycle_label, day_text, moment_text
from codeservice.errors import InputError, NotFound
from codeservice.web.auth import require_role
from codeservice.web.dependencies import container_of
from codeservice.web.navigation import staff_page
from codeservice.web.rotation_runs import RotationRuns

BMT_HOME = "/bmt"
BMT_CYCLES = "/bmt/cycles"
BMT_REGISTER = "/bmt/register"
BMT_REGISTER_UPLOAD = "/bmt/register/upload"
BMT_EXPORT = "/bmt/export"
BmtTeam = Annotated[Principal, Depends(require_role(Role.BMT))]
_state_lock = threading.Lock()


def cycle_path(cycle: Cycle | str) -> str:
    return f"{BMT_CYCLES}/{cycle}"


def parse_cycle(request: Request, text: str) -> tuple[Cycle, CycleDates]:
    """The cycle named in a path, with its dates; a 404 page for anything else."""
    try:
        cycle = Cycle.parse(text)
        return cycle, container_of(request).calendar.dates(cycle)
    except InputError:
        raise NotFound("There is no such cycle: cycles are named like 2027-04") from None


def render(
    request: Request,
    principal: Principal,
    template: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
) -> HTMLResponse:
    container = container_of(request)
    tz = container.settings.tz

    def when(moment: datetime | None) -> str:
        """'1 Apr 10:30', or nothing."""
        if moment is None:
            return ""
        local = moment.astimezone(tz)
        return f"{local.day} {local:%b %H:%M}"

    return staff_page(
        request,
        principal,
        template,
        {
            "when": when,
            "moment": lambda value: "" if value is None else moment_text(value, tz),
            "day": lambda value: "" if value is None else day_text(value, tz),
            "today": container.now().astimezone(tz).date(),
            "cycle_label": cycle_label,
            "cycle_path": cycle_path,
            "bmt_home": BMT_HOME,
            "bmt_register": BMT_REGISTER,
            "bmt_register_upload": BMT_REGISTER_UPLOAD,
            "bmt_cycles": BMT_CYCLES,
            "bmt_export": BMT_EXPORT,
            **context,
        },
        status_code=status_code,
    )


def rotation_runs(request: Request) -> RotationRuns:
    """This app's dashboard rotations (a test may put its own in ``app.state`` first)."""
    with _state_lock:
        runs = getattr(request.app.state, "rotation_runs", None)
        if runs is None:
            runs = request.app.state.rotation_runs = RotationRuns()
        assert isinstance(runs, RotationRuns)
        return runs

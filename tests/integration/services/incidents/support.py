"""What the incident tests share: a proforma, a SPoC's report link, a recorded report,
and a register with codes in force for the CLI (which runs on the real clock)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from codeservice.bootstrap import Container
from codeservice.services.incidents.reports import ReportForm, record_report
from codeservice.services.report_links import report_link_token
from codeservice.storage.models import Spoc
from tests.conftest import Cli
from tests.integration.services.test_reissue import (
    World,
)

ACTOR = "cli:security.officer"
FORM = ReportForm(
    subcontractor="",
    day="12",
    month="4",
    year="2027",
    reason="dismissed",
    details="A team leader who knew the code was dismissed.",
)


def report_token(world: World, email: str = "ann.lee@example.org") -> str:
    with world.container.uow() as uow:
        spoc = uow.session.scalar(select(Spoc).where(Spoc.email == email))
        assert spoc is not None
        token = report_link_token(uow, world.container, spoc, world.clock.now)
        uow.commit()
    return token


def record(world: World, **changes: str) -> str:
    fields = {
        "provider_ref": "PRV001",
        "change_date": "2027-04-12",
        "reason": "left-without-notice",
        "details": "Left without notice; knew the code.",
    }
    fields.update(changes)
    return record_report(
        world.container, actor=ACTOR, source="cli", **fields, now=world.container.now()
    ).reference


@pytest.fixture
def live(cli: Cli, container: Container) -> Cli:
    """A register and the codes of the cycle in force now (the CLI runs on the real clock)."""
    from codeservice.services.distribution.rotation import rotate
    from codeservice.services.register.providers import import_register
    from tests.integration.services.test_reissue import REGISTER

    import_register(container, REGISTER.encode(), "register.csv", actor="tester")
    rotate(
        container,
        container.calendar.cycle_in_force(container.now()),
        actor="t",
        source="t",
        workers=1,
    )
    return cli

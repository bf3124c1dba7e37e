"""What the incident tests share: a proforma, a SPoC's report link, a recorded report,
and a register with codes in force for the CLI (which runs on the real clock)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from codeservice.bootstrap import Container
from codeservice.services.incidents.reissue_views import ReissueReport
from codeservice.services.incidents.reports import ReportForm, record_report
from codeservice.services.incidents.triage import decide_report
from codeservice.services.incidents.views import IncidentView, get_report
from codeservice.services.report_links import report_link_token
from codeservice.storage.models import Spoc
from tests.conftest import Cli
from tests.integration.services.test_reissue import (
    World,
)
from tests.support.reissue import complete

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
        token = report_link_token(uow, world.container.keyring, spoc, world.clock.now)
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
    now = world.container.now()
    with world.container.transaction() as uow:
        view = record_report(
            uow, world.container.mailroom, actor=ACTOR, source="cli", **fields, now=now
        )
    return view.reference


@dataclass(frozen=True)
class Decided:
    """A decision as its entry points see it: the report once its reissue is done."""

    view: IncidentView
    already: bool
    reissue: ReissueReport | None


def decide(container: Container, reference: str, *, decision: str, reason: str) -> Decided:
    """Decide as the web page and the CLI do: the decision committed, then its reissue."""
    now = container.now()
    with container.transaction() as uow:
        decided = decide_report(
            uow,
            container.keyring,
            reference,
            decision=decision,
            reason=reason,
            actor=ACTOR,
            source="cli",
            now=now,
        )
    reissue = (
        None
        if decided.reissue_id is None
        else complete(container, decided.reissue_id, actor=ACTOR, source="cli", now=now)
    )
    with container.read_uow() as uow:
        view = get_report(uow, reference)
    return Decided(view, decided.already, reissue)


@pytest.fixture
def live(cli: Cli, container: Container) -> Cli:
    """A register and the codes of the cycle in force now (the CLI runs on the real clock)."""
    from codeservice.services.distribution.rotation import rotate
    from tests.integration.services.test_reissue import REGISTER
    from tests.support.register import import_register

    import_register(container, REGISTER.encode(), "register.csv", actor="tester")
    rotate(
        container.press,
        container.calendar.cycle_in_force(container.now()),
        now=container.now(),
        actor="t",
        source="t",
        workers=1,
    )
    return cli

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from codeservice.bootstrap import Container
from codeservice.domain.calendar import Cycle
from codeservice.errors import Conflict
from codeservice.services.distribution.rotation import rotate
from codeservice.storage.models import AccessCode, AuditRecord
from tests.integration.scheduler.support import load_register
from tests.support.clock import Clock
from tests.support.reading import activate_now

APRIL, MAY = Cycle.parse("2027-04"), Cycle.parse("2027-05")
# April: issued Wed 31 Mar 2027 09:00 BST, active Mon 5 Apr.
# May: issued Wed 28 Apr, active Mon 3 May.
APRIL_ISSUE = datetime(2027, 3, 31, 8, 0, tzinfo=UTC)
APRIL_ACTIVE = datetime(2027, 4, 4, 23, 0, tzinfo=UTC)
MAY_ISSUE = datetime(2027, 4, 28, 8, 0, tzinfo=UTC)
MAY_ACTIVE = datetime(2027, 5, 2, 23, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock(APRIL_ISSUE)


@pytest.fixture
def app(container: Container, clock: Clock) -> Container:
    built = Container(container.settings, clock=clock)
    load_register(built)
    return built


def states(app: Container) -> dict[tuple[str, str], str]:
    with app.uow() as uow:
        codes = uow.session.scalars(select(AccessCode))
        return {(c.provider.ref, str(c.cycle)): c.state for c in codes}


def actions(app: Container, prefix: str) -> list[dict[str, object]]:
    with app.uow() as uow:
        rows = uow.session.scalars(
            select(AuditRecord)
            .where(AuditRecord.action.startswith(prefix))
            .order_by(AuditRecord.seq)
        )
        return [{"action": r.action, **json.loads(r.details)} for r in rows]


def test_a_cycle_cannot_be_activated_before_its_monday(app: Container, clock: Clock) -> None:
    rotate(app.press, APRIL, now=app.now(), actor="test", source="test", workers=1)
    clock.now = APRIL_ACTIVE - timedelta(seconds=1)
    with pytest.raises(Conflict, match="becomes active on Monday 5 April 2027 at 00:00"):
        activate_now(app, APRIL, actor="test", source="test")
    assert set(states(app).values()) == {"issued"}


def test_activation_makes_the_new_codes_active_and_retires_the_old_ones_once(
    app: Container, clock: Clock
) -> None:
    rotate(app.press, APRIL, now=app.now(), actor="test", source="test", workers=1)
    clock.now = APRIL_ACTIVE
    first = activate_now(app, APRIL, actor="system:scheduler", source="scheduler")
    assert sorted(first.activated) == ["PRV001", "PRV002"] and first.retired == []

    clock.now = MAY_ISSUE
    rotate(app.press, MAY, now=app.now(), actor="test", source="test", workers=1)
    assert states(app) == {
        ("PRV001", "2027-04"): "active",
        ("PRV002", "2027-04"): "active",
        ("PRV001", "2027-05"): "issued",
        ("PRV002", "2027-05"): "issued",
    }
    clock.now = MAY_ACTIVE + timedelta(hours=3)  # late: the service was down at midnight
    report = activate_now(app, MAY, actor="system:scheduler", source="scheduler")
    assert sorted(report.activated) == ["PRV001", "PRV002"]
    assert sorted(report.retired) == ["PRV001 2027-04", "PRV002 2027-04"]
    assert states(app) == {
        ("PRV001", "2027-04"): "retired",
        ("PRV002", "2027-04"): "retired",
        ("PRV001", "2027-05"): "active",
        ("PRV002", "2027-05"): "active",
    }

    again = activate_now(app, MAY, actor="system:scheduler", source="scheduler")
    assert again.activated == [] and again.retired == []
    code_changes = actions(app, "code:access:")
    assert [
        (a["action"], a["provider"], a["cycle"])
        for a in code_changes
        if a["action"] != "code:access:issue"
    ] == [
        ("code:access:activate", "PRV001", "2027-04"),
        ("code:access:activate", "PRV002", "2027-04"),
        ("code:access:activate", "PRV001", "2027-05"),
        ("code:access:activate", "PRV002", "2027-05"),
        ("code:access:retire", "PRV001", "2027-04"),
        ("code:access:retire", "PRV002", "2027-04"),
    ]
    runs = actions(app, "cycle:activation:run")
    assert [(r["cycle"], r["activated"], r["retired"]) for r in runs] == [
        ("2027-04", 2, 0),
        ("2027-05", 2, 2),
        ("2027-05", 0, 0),
    ]


def test_a_cycle_never_issued_before_still_retires_what_came_before(
    app: Container, clock: Clock
) -> None:
    rotate(app.press, APRIL, now=app.now(), actor="test", source="test", workers=1)
    clock.now = MAY_ACTIVE  # April was never activated, May never issued
    report = activate_now(app, MAY, actor="test", source="test")
    assert report.activated == []
    assert sorted(report.retired) == ["PRV001 2027-04", "PRV002 2027-04"]
    assert set(states(app).values()) == {"retired"}

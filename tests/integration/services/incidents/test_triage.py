"""Triage: assessing, deciding, the list of open reports."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from codeservice.domain.audit import AuditTag
from codeservice.domain.triage import TriageConflict, TriageState
from codeservice.services.incidents.triage import assess_report
from codeservice.services.incidents.views import list_reports
from codeservice.storage.models import IncidentReport, Reissue
from tests.integration.services.incidents.support import ACTOR, decide, record
from tests.integration.services.test_reissue import (
    World,
)

# --- triage -------------------------------------------------------------------------


def test_triage_assess_then_no_change_with_every_step_audited(world: World) -> None:
    reference = record(world)
    world.clock.now += timedelta(hours=2)
    with world.container.transaction() as uow:
        assessed = assess_report(
            uow,
            world.container.keyring,
            reference,
            actor=ACTOR,
            source="cli",
            note="Checked",
            now=world.container.now(),
        )
    assert (assessed.state, assessed.assessment_note) == (TriageState.ASSESSED, "Checked")
    world.clock.now += timedelta(minutes=30)
    decision = decide(
        world.container,
        reference,
        decision="no-change",
        reason="Left for a new job; no reason to doubt them",
    )
    assert decision.view.state is TriageState.NO_CHANGE and decision.reissue is None
    assert decision.view.waiting(world.clock.now + timedelta(days=9)) == timedelta(
        hours=2, minutes=30
    )
    assert [d["reference"] for d in world.audit(AuditTag.INCIDENT_REPORT_ASSESS)] == [reference]
    [decided] = world.audit(AuditTag.INCIDENT_REPORT_DECIDE)
    assert decided["decision"] == "no-change" and decided["waited_seconds"] == 9000
    assert len(world.codes()) == 1

    again = decide(world.container, reference, decision="no-change", reason="again")
    assert again.already
    with pytest.raises(TriageConflict, match="a decision is final"):
        decide(world.container, reference, decision="reissue", reason="changed my mind")
    with pytest.raises(TriageConflict), world.container.transaction() as uow:
        assess_report(
            uow,
            world.container.keyring,
            reference,
            actor=ACTOR,
            source="cli",
            now=world.clock.now,
        )


def test_deciding_reissue_twice_reissues_once(world: World) -> None:
    reference = record(world)
    before = len(world.emails())
    first = decide(world.container, reference, decision="reissue", reason="Dismissed; code known")
    assert first.view.state is TriageState.REISSUE
    assert first.view.assessed_at == first.view.decided_at  # assessed in the same step
    assert first.reissue is not None and len(first.reissue.replaced) == 1
    assert first.view.codes_replaced == 1 and first.view.reissue_completed_at is not None
    second = decide(world.container, reference, decision="reissue", reason="Dismissed; code known")
    assert second.already and second.reissue is not None and second.reissue.already_done
    assert len(world.codes()) == 2
    assert len(world.emails()) == before + 2  # one email 1 per SPoC, once
    with world.container.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Reissue)) == 1
    assert len(world.audit(AuditTag.INCIDENT_REPORT_DECIDE)) == 1
    with world.container.uow() as uow:
        report = uow.session.scalar(select(IncidentReport))
        assert report is not None and report.decision_reason == "Dismissed; code known"


def test_the_list_shows_open_reports_oldest_first(world: World) -> None:
    first = record(world)
    world.clock.now += timedelta(minutes=5)
    second = record(world, details="Another team leader left; knew the code.")
    decide(world.container, first, decision="no-change", reason="fine")
    with world.container.read_uow() as uow:
        assert [v.reference for v in list_reports(uow)] == [first, second]
        open_ = list_reports(uow, states=["received", "assessed"])
    assert [v.reference for v in open_] == [second]

"""§17–18: a provider without an approved security plan gets no code, and the BMT sees
why in the rotation report, on the cycle's page and on the register page."""

from __future__ import annotations

import html
import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from codeservice.bootstrap import Container
from codeservice.domain.accounts import Role
from codeservice.domain.security_plan import NO_SECURITY_PLAN
from codeservice.web.rotation_runs import RotationRuns
from tests.integration.web.links import NOW
from tests.integration.web.staff import audit_actions, signed_in_client
from tests.support.clock import Clock
from tests.support.dashboard import APRIL, ISSUE_DAY, REGISTER, issue
from tests.support.reading import board_of, status_of
from tests.support.register import import_register

# The example register, with Pennine Routes' plan received but not yet approved.
PENNINE_APPROVED = b"daniel.hughes@example.net,2023-01-16,2023-02-13,"
PENNINE_RECEIVED = b"daniel.hughes@example.net,2023-01-16,,"


@pytest.fixture
def pennine_waiting(web_container: Container, clock: Clock) -> Container:
    data = REGISTER.read_bytes()
    assert PENNINE_APPROVED in data
    clock.now = ISSUE_DAY
    import_register(
        web_container,
        data.replace(PENNINE_APPROVED, PENNINE_RECEIVED),
        "providers.csv",
        actor="test",
        source="test",
    )
    return web_container


def _text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def test_the_rotation_skips_a_provider_without_an_approved_plan_and_says_so(
    pennine_waiting: Container, clock: Clock
) -> None:
    report = issue(pennine_waiting)

    assert report.no_security_plan == ["PRV003"]
    assert (report.providers, report.issued, report.already_done) == (8, 7, 0)
    assert not report.failed
    with pennine_waiting.uow() as uow:
        pennine = uow.register.get_provider("PRV003")
        assert pennine is not None
        assert uow.codes.live_for(pennine.id, str(APRIL)) is None
    (start,) = [d for a, _, d in audit_actions(pennine_waiting) if a.endswith("rotation:start")]
    assert start["no_security_plan"] == ["PRV003"]

    row = next(p for p in board_of(pennine_waiting, APRIL).providers if p.ref == "PRV003")
    assert (row.code_state, row.issue_error) == ("not-issued", NO_SECURITY_PLAN)
    status = next(p for p in status_of(pennine_waiting, APRIL).providers if p.ref == "PRV003")
    assert status.issue_error == NO_SECURITY_PLAN

    # A second run issues nothing more and says so again; once the plan is approved the
    # next run issues Pennine's code and nothing else.
    assert issue(pennine_waiting).no_security_plan == ["PRV003"]
    import_register(
        pennine_waiting, REGISTER.read_bytes(), "providers.csv", actor="test", source="test"
    )
    again = issue(pennine_waiting)
    assert (again.issued, again.already_done, again.no_security_plan) == (1, 7, [])


def test_the_cycle_page_and_the_register_page_show_the_plan(
    pennine_waiting: Container, client: TestClient, clock: Clock
) -> None:
    issue(pennine_waiting)
    clock.now = NOW
    bmt = signed_in_client(client, pennine_waiting, Role.BMT)

    cycle = bmt.get("/bmt/cycles/2027-04")
    assert cycle.status_code == 200
    row = _text(cycle.text.split('id="provider-PRV003"')[1].split("</tr>")[0])
    assert "The rotation could not issue this code: no approved security plan." in row

    register = bmt.get("/bmt/register")
    assert register.status_code == 200
    pennine = _text(register.text.split('id="plan-PRV003"')[1].split("</td>")[0])
    assert "Not approved" in pennine and "received 2023-01-16, not approved" in pennine
    assert "the helpline refuses it: no approved security plan" in pennine
    northfield = _text(register.text.split('id="plan-PRV001"')[1].split("</td>")[0])
    assert "Approved" in northfield and "approved 2023-02-06" in northfield
    harbourside = _text(register.text.split('id="plan-PRV002"')[1].split("</td>")[0])
    assert "changed 2024-06-17" in harbourside
    sub = _text(register.text.split('id="plan-SUB101"')[1].split("</td>")[0])
    assert "Prime's plan: approved 2023-02-06" in sub


def test_the_rotation_page_names_the_providers_without_an_approved_plan(
    pennine_waiting: Container, client: TestClient, app: FastAPI, clock: Clock
) -> None:
    app.state.rotation_runs = runs = RotationRuns(workers=1)
    runs.start(pennine_waiting, APRIL, actor="user:bmt.user", source="web")
    run = runs.wait(APRIL, timeout=120)
    assert run is not None and run.report is not None and run.error is None
    clock.now = NOW
    bmt = signed_in_client(client, pennine_waiting, Role.BMT)

    done = _text(bmt.get("/bmt/cycles/2027-04/rotation").text)

    assert "7 issued now, 0 already had theirs" in done
    assert "Not issued, no approved security plan: PRV003." in done

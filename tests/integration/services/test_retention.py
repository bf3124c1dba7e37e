"""Retention on a travelling clock: what is past its period goes, the rest stays, and
the audit trail still verifies.

A year of data is made in January 2025 (a rotation sent over real SMTP, an
acknowledgement, a failed sign-in, a SPoC taken off the register) and again in
January 2026; in February 2026 the 2025 data is past its 13 months and the 2026
data is not. Incident descriptions go 24 months after their decision.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import select, update

from codeservice.bootstrap import Container
from codeservice.domain.audit import LEGACY, AuditTag
from codeservice.domain.calendar import Cycle
from codeservice.domain.retention import REDACTED, add_months
from codeservice.services.distribution.mail_events import audit_mail_outcomes
from codeservice.services.incidents.views import get_report
from codeservice.services.operations.audit import record
from codeservice.services.operations.retention import policy_of, report
from codeservice.services.staff.sign_in_throttle import SignInRefused
from codeservice.storage.models import AuditRecord, Delivery, IncidentReport, Provider, Spoc
from mailer.schema import outbox
from tests.conftest import Cli
from tests.integration.scheduler.support import REGISTER, mail_server
from tests.support.dashboard import issue
from tests.support.register import import_register
from tests.support.retention import purge, verify_trail
from tests.support.staff import sign_in

OLD = datetime(2025, 1, 15, 10, 0, tzinfo=UTC)
YOUNG = datetime(2026, 1, 14, 10, 0, tzinfo=UTC)
PURGE = datetime(2026, 2, 16, 10, 0, tzinfo=UTC)  # 13 months and a day after OLD
OLD_ADDRESS, YOUNG_ADDRESS = "198.51.100.7", "203.0.113.9"
WITHOUT_BEN = b"\n".join(line for line in REGISTER.split(b"\n") if b"Ben Cole" not in line)
WITHOUT_BEN_AND_CAT = b"\n".join(line for line in WITHOUT_BEN.split(b"\n") if b"Cat" not in line)


def send_mail(app: Container) -> None:
    import asyncio

    from mailer import dispatcher

    asyncio.run(
        dispatcher.run(
            app.session_factory,
            app.smtp_config,
            app.mail_sealer,
            once=True,
            clock=app.now,
            on_outcomes=audit_mail_outcomes(app.keyring),
        )
    )


def failed_sign_in(app: Container, ip: str) -> None:
    with pytest.raises(SignInRefused):
        sign_in(app, "somebody.typed", "not the password", ip=ip)


def acknowledge(app: Container, cycle: str, ip: str, now: datetime) -> None:
    with app.uow() as uow:
        delivery = uow.session.scalar(
            select(Delivery).where(Delivery.access_code.has(cycle=cycle)).order_by(Delivery.id)
        )
        assert delivery is not None
        uow.deliveries.acknowledge(delivery.id, at=now, ip=ip, user_agent="Firefox/128")
        uow.commit()


def incident(app: Container, reference: str, *, decided: datetime | None) -> None:
    with app.uow() as uow:
        provider = uow.session.scalar(select(Provider).order_by(Provider.id).limit(1))
        assert provider is not None
        uow.session.add(
            IncidentReport(
                reference=reference,
                provider_id=provider.id,
                change_date=date(2023, 1, 2),
                reason="other",
                details=f"what happened ({reference})",
                source="security-team",
                reported_by="security",
                received_at=add_months(PURGE, -30),
                state="no-change" if decided else "received",
                decided_at=decided,
            )
        )
        uow.commit()


def legacy_record(app: Container) -> None:
    """A record as written before migration 0004 (version 1: its hash covers everything)."""
    with app.uow() as uow:
        record(
            uow,
            app.keyring.audit_key,
            actor="anonymous",
            action=AuditTag.STAFF_SESSION_SIGN_IN_FAIL,
            source=OLD_ADDRESS,
            details={"username": "legacy.typed", "reason": "password"},
            now=app.now(),
            version=LEGACY,
        )
        uow.commit()


@pytest.fixture
def app(container: Container, tmp_path: Path) -> Iterator[Container]:
    with (
        time_machine.travel(OLD, tick=False) as traveller,
        mail_server(container, tmp_path / "mail") as built,
    ):
        import_register(built, REGISTER, "providers.csv", actor="test")
        issue(built, Cycle.parse("2025-02"))
        send_mail(built)
        acknowledge(built, "2025-02", OLD_ADDRESS, OLD)
        legacy_record(built)
        failed_sign_in(built, OLD_ADDRESS)
        import_register(built, WITHOUT_BEN, "providers.csv", prune=True, actor="test")
        incident(built, "INC-2023-0001", decided=add_months(PURGE, -25))  # past 24 months
        incident(built, "INC-2023-0002", decided=add_months(PURGE, -23))  # not yet
        incident(built, "INC-2023-0003", decided=None)  # open: kept whatever its age

        traveller.move_to(YOUNG)
        issue(built, Cycle.parse("2026-02"))
        send_mail(built)
        acknowledge(built, "2026-02", YOUNG_ADDRESS, YOUNG)
        failed_sign_in(built, YOUNG_ADDRESS)
        import_register(built, WITHOUT_BEN_AND_CAT, "providers.csv", prune=True, actor="test")

        traveller.move_to(PURGE)
        yield built


def audit_rows(app: Container, action: str) -> list[AuditRecord]:
    with app.read_uow() as uow:
        query = select(AuditRecord).where(AuditRecord.action == action).order_by(AuditRecord.seq)
        rows = list(uow.session.scalars(query))
        uow.session.expunge_all()  # read as they are now, kept after the session closes
        return rows


def test_what_is_past_its_period_goes_and_the_rest_stays(app: Container) -> None:
    with app.read_uow() as uow:
        rows = report(uow, policy_of(app.settings), now=app.now())
    before = {row.kind: row for row in rows}
    assert before["mail"].due_now == 3 and before["mail"].waiting == 2  # Ben was removed
    assert before["acknowledgements"].due_now == 1 and before["acknowledgements"].waiting == 1
    assert before["removed-spocs"].due_now == 1 and before["removed-spocs"].waiting == 1
    assert before["removed-spocs"].next_due == add_months(YOUNG, 13)
    assert before["incidents"].due_now == 1 and before["incidents"].waiting == 1
    assert before["audit"].due_now >= 5  # 3 mail records, 2 sign-ins

    result = purge(app, actor="test", source="test", now=app.now())
    assert result.audit_problem is None
    assert result.counts["mail"] == 3 and result.counts["acknowledgements"] == 1
    assert result.counts["removed-spocs"] == 1 and result.counts["incidents"] == 1
    assert result.counts["audit"] == before["audit"].due_now

    with app.read_uow() as uow:
        mail = uow.session.execute(select(outbox).order_by(outbox.c.id)).all()
        old_mail = [m for m in mail if m.created_at.replace(tzinfo=UTC) < YOUNG]
        young_mail = [m for m in mail if m.created_at.replace(tzinfo=UTC) >= YOUNG]
        assert old_mail and all(m.recipients == "" and m.smtp_response is None for m in old_mail)
        assert young_mail and all("@" in m.recipients for m in young_mail if m.state == "sent")
        acks = {d.acknowledged_at: d for d in uow.session.scalars(select(Delivery))}
        assert acks[OLD].acknowledged_ip is None and acks[OLD].acknowledged_user_agent is None
        assert acks[YOUNG].acknowledged_ip == YOUNG_ADDRESS
        spocs = {s.id: s for s in uow.session.scalars(select(Spoc))}
        removed = [s for s in spocs.values() if not s.active]
        assert sorted(s.name for s in removed) == ["Cat Day", REDACTED]
        assert all("ben" not in s.email for s in spocs.values())
        reports = {r.reference: r.details for r in uow.session.scalars(select(IncidentReport))}
        assert reports == {
            "INC-2023-0001": "",
            "INC-2023-0002": "what happened (INC-2023-0002)",
            "INC-2023-0003": "what happened (INC-2023-0003)",
        }
    with app.read_uow() as uow:
        view = get_report(uow, "INC-2023-0001")
    assert "removed" in view.details  # said, not shown empty

    legacy, old_fail, young_fail = audit_rows(app, "staff:session:sign_in_fail")
    for redacted in (legacy, old_fail):
        assert redacted.source == REDACTED and redacted.redacted_at == PURGE
        assert json.loads(redacted.details)["username"] == REDACTED
    assert legacy.version == 1 and legacy.redaction_seal is not None
    assert old_fail.version == 2 and old_fail.personal_salt is None
    assert old_fail.redaction_seal is None  # its hash never covered the fields
    assert young_fail.source == YOUNG_ADDRESS and young_fail.personal_salt is not None
    assert json.loads(young_fail.details)["username"] == "somebody.typed"
    sent = audit_rows(app, "mail:message:send")
    assert [json.loads(r.details)["recipients"] == REDACTED for r in sent] == [True] * 3 + [
        False
    ] * (len(sent) - 3)
    purges = [json.loads(r.details) for r in audit_rows(app, "system:retention:purge")]
    assert all(set(p) == {"kind", "count"} for p in purges)

    assert verify_trail(app).problems == []
    again = purge(app, actor="test", source="test", now=app.now())  # idempotent
    assert again.total == 0 and again.audit_problem is None
    assert verify_trail(app).problems == []


@pytest.mark.parametrize("which", [0, 1, 2], ids=["legacy", "redacted", "young"])
@pytest.mark.parametrize(
    "change", [{"actor": "someone else"}, {"source": "192.0.2.50"}], ids=["actor", "address"]
)
def test_an_edited_record_is_found_redacted_or_not(
    app: Container, which: int, change: dict[str, str]
) -> None:
    purge(app, actor="test", source="test", now=app.now())
    edited = audit_rows(app, "staff:session:sign_in_fail")[which]
    with app.uow() as uow:
        uow.session.execute(update(AuditRecord).where(AuditRecord.id == edited.id).values(change))
        uow.commit()
    problem = verify_trail(app).chain_problem
    assert problem is not None and problem.seq == edited.seq


def test_nothing_is_redacted_from_a_broken_chain(app: Container) -> None:
    old_fail = audit_rows(app, "staff:session:sign_in_fail")[0]
    with app.uow() as uow:
        uow.session.execute(
            update(AuditRecord).where(AuditRecord.id == old_fail.id).values(source="10.0.0.1")
        )
        uow.commit()
    result = purge(app, actor="test", source="test", now=app.now())
    assert result.counts["audit"] == 0 and result.audit_problem is not None
    assert result.counts["mail"] == 3  # the rest of retention goes on
    assert audit_rows(app, "staff:session:sign_in_fail")[0].source == "10.0.0.1"


def test_the_cli_reports_and_purges(app: Container, cli: Cli) -> None:
    run = cli  # its own container, on the same database; the clock is time-machine's
    shown = run("retention", "report", "--json")
    assert shown.exit_code == 0, shown.output
    kinds = {row["kind"]: row for row in json.loads(shown.output)}
    assert kinds["acknowledgements"]["due_now"] == 1
    assert OLD_ADDRESS not in shown.output and "Ben" not in shown.output
    purged = run("retention", "purge")
    assert purged.exit_code == 0, purged.output
    assert "acknowledgement addresses and user agents: 1 row purged" in purged.output
    assert run("audit", "verify").exit_code == 0


def test_the_scheduler_purges_daily_at_its_time(app: Container) -> None:
    from scheduler.jobs import JobContext, run_due
    from scheduler.plan import JobKind

    context = JobContext(holder="test:retention", rotation_workers=1)
    assert run_due(app, context) == []  # the first start: what fell due before is left
    with time_machine.travel(datetime(2026, 2, 17, 3, 31, tzinfo=UTC), tick=False):
        [run] = run_due(app, context)
        assert run.occurrence.kind is JobKind.RETENTION and run.outcome == "done"
        assert run.detail.startswith("retention purge: 3 mail, 1 acknowledgements")
        assert run_due(app, context) == []  # once a day
    assert verify_trail(app).problems == []
    assert audit_rows(app, "staff:session:sign_in_fail")[0].source == REDACTED

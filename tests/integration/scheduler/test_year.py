"""A whole year of the scheduler on a frozen clock, from March 2024 to March 2025.

The clock (time-machine) jumps from each planned instant to the next; at each one the
due jobs run exactly as the scheduler runs them (``run_due``), then the outbox is sent
to a real SMTP server, then everything is run a second time to show that nothing
happens twice. The year holds Easter 2024 (Good Friday in the issue week), both clock
changes (31 March 2024 and 27 October 2024) and the Christmas 2024 issue day, moved
from Wednesday 25 December to Tuesday 24 December.

Ann acknowledges on the issue day, Ben after his first reminder, Cat never: so Ben
gets one reminder per cycle, Cat one per reminder day, and the escalation names
Harbourside (Cat's provider) alone.
"""

from __future__ import annotations

import email
import email.policy
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import select

from codeservice.bootstrap import Container
from codeservice.domain.calendar import Cycle
from codeservice.storage.models import AuditRecord, JobRun
from mailer.capture import captured
from mailer.schema import outbox
from scheduler import ledger
from scheduler.jobs import JobContext, run_due, schedule_for
from scheduler.plan import JobKind
from tests.integration.scheduler.support import (
    ANN,
    BEN,
    CAT,
    acknowledge_directly,
    load_register,
    mail_server,
    send_mail,
)

LONDON = ZoneInfo("Europe/London")
START = datetime(2024, 3, 20, 12, 0, tzinfo=UTC)
END = datetime(2025, 3, 20, 12, 0, tzinfo=UTC)
FIRST, LAST = Cycle.parse("2024-04"), Cycle.parse("2025-03")


def cycles() -> list[str]:
    found, cycle = [], FIRST
    while cycle <= LAST:
        found.append(str(cycle))
        cycle = cycle.next()
    return found


@dataclass(frozen=True)
class Fired:
    kind: JobKind
    key: str
    cycle: str
    at: datetime  # local

    @property
    def local_time(self) -> time:
        return self.at.time()


@dataclass(frozen=True)
class Year:
    fired: list[Fired]
    messages: list[EmailMessage]
    app: Container

    def of(self, kind: JobKind) -> list[Fired]:
        return [f for f in self.fired if f.kind is kind]

    def one(self, kind: JobKind, cycle: str) -> Fired:
        found = [f for f in self.of(kind) if f.cycle == cycle]
        assert len(found) == 1, (kind, cycle, found)
        return found[0]


def test_a_year_of_the_scheduler(container: Container, tmp_path: Path) -> None:
    for year in walk_the_year(container, tmp_path):
        check_issues(year)
        check_activations(year)
        check_reminders(year)
        check_escalations(year)
        check_summaries(year)
        check_nothing_twice(year)


def walk_the_year(container: Container, tmp_path: Path) -> Iterator[Year]:
    fired: list[Fired] = []
    maildir = tmp_path / "captured"
    with (
        time_machine.travel(START, tick=False) as traveller,
        mail_server(container, maildir) as app,
    ):
        load_register(app)
        context = JobContext(holder="test:year", rotation_workers=1)
        schedule = schedule_for(app)
        now = START
        while now < END:
            traveller.move_to(now)
            results = run_due(app, context)
            send_mail(app)
            for result in results:
                assert result.outcome == "done", result.detail
                occurrence = result.occurrence
                local = app.now().astimezone(LONDON)
                fired.append(Fired(occurrence.kind, occurrence.key, str(occurrence.cycle), local))
                if occurrence.kind is JobKind.ISSUE:
                    acknowledge_directly(app, ANN, str(occurrence.cycle), app.now())
                if occurrence.kind is JobKind.REMIND and _first_reminder(fired, occurrence.key):
                    acknowledge_directly(app, BEN, str(occurrence.cycle), app.now())
            # The same instant again, as if the job fired twice: nothing more happens.
            assert run_due(app, context) == []
            assert send_mail(app).sent == 0
            since = ledger.recorded_first_start(app)
            now = schedule.next_fire_time(app.now(), ledger.finished_runs(app), since)
        parsed = [
            email.message_from_bytes(m.as_bytes(), policy=email.policy.default)
            for m in captured(maildir)
        ]
        yield Year(fired, [m for m in parsed if isinstance(m, EmailMessage)], app)


def _first_reminder(fired: list[Fired], key: str) -> bool:
    cycle = next(f.cycle for f in fired if f.key == key and f.kind is JobKind.REMIND)
    return [f.key for f in fired if f.kind is JobKind.REMIND and f.cycle == cycle][0] == key


def _recipient(message: EmailMessage) -> str:
    return str(message["To"]).rpartition("<")[2].rstrip(">")


def check_issues(year: Year) -> None:
    issues = year.of(JobKind.ISSUE)
    assert [f.cycle for f in issues] == cycles()
    for issue in issues:
        assert issue.local_time == time(9, 0)
        expected_weekday = 1 if issue.cycle == "2025-01" else 2  # Christmas: Tuesday
        assert issue.at.weekday() == expected_weekday, issue
    assert year.one(JobKind.ISSUE, "2025-01").at.date() == date(2024, 12, 24)
    # Either side of the October clock change: 09:00 local, an hour apart in UTC.
    september = year.one(JobKind.ISSUE, "2024-10").at.astimezone(UTC)
    october = year.one(JobKind.ISSUE, "2024-11").at.astimezone(UTC)
    assert (september.date(), september.hour) == (date(2024, 9, 25), 8)
    assert (october.date(), october.hour) == (date(2024, 10, 30), 9)


def check_activations(year: Year) -> None:
    activations = year.of(JobKind.ACTIVATE)
    assert [f.cycle for f in activations] == cycles()
    for activation in activations:
        assert activation.local_time == time(0, 0) and activation.at.weekday() == 0
    # The first Monday of British Summer Time, and the first after the October change.
    assert year.one(JobKind.ACTIVATE, "2024-04").at.astimezone(UTC) == datetime(
        2024, 3, 31, 23, 0, tzinfo=UTC
    )
    assert year.one(JobKind.ACTIVATE, "2024-11").at.astimezone(UTC) == datetime(
        2024, 11, 4, 0, 0, tzinfo=UTC
    )
    assert year.one(JobKind.ACTIVATE, "2025-01").at.date() == date(2024, 12, 30)


def check_reminders(year: Year) -> None:
    by_cycle: dict[str, list[date]] = {}
    for reminder in year.of(JobKind.REMIND):
        assert reminder.local_time == time(9, 0)
        by_cycle.setdefault(reminder.cycle, []).append(reminder.at.date())
    assert by_cycle["2025-01"] == [date(2024, 12, 27)]  # Christmas and Boxing Day skipped
    assert by_cycle["2024-04"] == [date(2024, 3, 28)]  # Good Friday skipped
    assert by_cycle["2024-11"] == [date(2024, 10, 31), date(2024, 11, 1)]
    for cycle in cycles():
        days = by_cycle[cycle]
        assert len(days) == len(set(days))
        issue = year.one(JobKind.ISSUE, cycle).at.date()
        activation = year.one(JobKind.ACTIVATE, cycle).at.date()
        assert all(issue < day < activation and day.weekday() < 5 for day in days)

    reminders = [m for m in year.messages if str(m["Subject"]).startswith("Reminder:")]
    per_spoc = Counter(_recipient(m) for m in reminders)
    assert per_spoc[ANN] == 0
    assert per_spoc[BEN] == len(cycles())  # one each cycle, then he acknowledged
    assert per_spoc[CAT] == sum(len(days) for days in by_cycle.values())
    per_spoc_day = Counter((_recipient(m), m["Date"].datetime.date()) for m in reminders)
    assert max(per_spoc_day.values()) == 1


def check_escalations(year: Year) -> None:
    escalations = year.of(JobKind.ESCALATE)
    assert [f.cycle for f in escalations] == cycles()
    for escalation in escalations:
        assert escalation.local_time == time(9, 0)
    assert year.one(JobKind.ESCALATE, "2025-01").at.date() == date(2024, 12, 27)
    assert year.one(JobKind.ESCALATE, "2024-04").at.date() == date(2024, 3, 28)  # Thursday
    assert year.one(JobKind.ESCALATE, "2024-11").at.date() == date(2024, 11, 1)
    mails = [m for m in year.messages if str(m["Subject"]).startswith("Escalation:")]
    assert len(mails) == len(cycles())
    for mail in mails:
        body = mail.get_body(preferencelist=("plain",))
        assert body is not None
        assert "PRV002 Harbourside" in body.get_content()
        assert "PRV001" not in body.get_content()


def check_summaries(year: Year) -> None:
    rotation = year.of(JobKind.ROTATION_SUMMARY)
    activation = year.of(JobKind.ACTIVATION_SUMMARY)
    assert [f.cycle for f in rotation] == cycles()
    assert [f.cycle for f in activation] == cycles()
    assert all(f.local_time == time(10, 0) for f in rotation)  # an hour after the issue
    summaries = [m for m in year.messages if "access codes" in str(m["Subject"])]
    assert len(summaries) == 2 * len(cycles())


def check_nothing_twice(year: Year) -> None:
    documents = [m for m in year.messages if list(m.iter_attachments())]
    assert Counter(_recipient(m) for m in documents) == {
        ANN: len(cycles()),
        BEN: len(cycles()),
        CAT: len(cycles()),
    }
    assert len({m["Message-ID"] for m in year.messages}) == len(year.messages)
    with year.app.uow() as uow:
        runs = uow.session.scalars(select(JobRun).where(JobRun.job != "scheduler")).all()
        assert all(run.attempts == 1 and run.outcome == "done" for run in runs)
        assert not [run for run in runs if run.caught_up]
        catch_ups = uow.session.scalars(
            select(AuditRecord).where(AuditRecord.action == "system:scheduler:catch_up")
        ).all()
        assert catch_ups == []
        failed = uow.session.scalars(select(outbox.c.id).where(outbox.c.state != "sent")).all()
        assert failed == []

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from codeservice.domain.calendar import Calendar, CalendarPolicy, Cycle
from scheduler.plan import Done, JobKind, Schedule, SchedulePolicy

LONDON = ZoneInfo("Europe/London")


def schedule(**policy: object) -> Schedule:
    return Schedule(Calendar(CalendarPolicy(tz=LONDON)), SchedulePolicy(**policy))  # type: ignore[arg-type]


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def kinds(occurrences: list) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    return [(str(o.kind), o.key) for o in occurrences]


def test_christmas_2024_issue_on_christmas_eve_one_reminder_escalation_on_friday() -> None:
    plan = schedule()
    cycle = Cycle.parse("2025-01")
    assert plan.issue(cycle).due_at == local(2024, 12, 24, 9, 0)
    assert plan.reminder_days(cycle) == [date(2024, 12, 27)]  # 25 and 26 are bank holidays
    assert plan.escalation(cycle).due_at == local(2024, 12, 27, 9, 0)
    assert plan.activation(cycle).due_at == local(2024, 12, 30, 0, 0)


def test_an_ordinary_week_has_reminders_on_thursday_and_friday_and_the_escalation_on_friday() -> (
    None
):
    plan = schedule()
    cycle = Cycle.parse("2027-04")
    assert plan.reminder_days(cycle) == [date(2027, 4, 1), date(2027, 4, 2)]
    assert plan.escalation(cycle).due_at == local(2027, 4, 2, 9, 0)


def test_good_friday_leaves_thursday_for_the_reminder_and_the_escalation() -> None:
    plan = schedule()
    cycle = Cycle.parse("2024-04")  # issued Wed 27 Mar 2024; Good Friday 29 Mar
    assert plan.reminder_days(cycle) == [date(2024, 3, 28)]
    assert plan.escalation(cycle).due_at == local(2024, 3, 28, 9, 0)


def test_the_limit_caps_the_reminders_and_zero_switches_them_off() -> None:
    assert schedule(reminder_limit=1).reminder_days(Cycle.parse("2027-04")) == [date(2027, 4, 1)]
    off = schedule(reminder_limit=0)
    assert off.reminder_days(Cycle.parse("2027-04")) == []
    upcoming = off.upcoming(local(2027, 3, 30, 12, 0), {})
    assert JobKind.REMIND not in {o.kind for o in upcoming}


def test_times_are_configurable_and_stay_local_across_the_clock_change() -> None:
    plan = schedule(reminder_time=time(10, 30), escalation_time=time(14, 0))
    before = Cycle.parse("2024-10")  # issued Wed 25 Sep 2024, BST
    after = Cycle.parse("2024-11")  # issued Wed 30 Oct 2024, GMT
    assert plan.reminders(before)[0].due_at.astimezone(UTC) == datetime(
        2024, 9, 26, 9, 30, tzinfo=UTC
    )
    assert plan.reminders(after)[0].due_at.astimezone(UTC) == datetime(
        2024, 10, 31, 10, 30, tzinfo=UTC
    )
    assert plan.escalation(after).due_at == local(2024, 11, 1, 14, 0)


def test_nothing_is_due_a_second_before_the_issue_and_the_next_fire_time_is_the_issue() -> None:
    plan = schedule()
    issue_at = local(2027, 3, 31, 9, 0)
    done: Done = {
        ("issue", "2027-03"): issue_at - timedelta(days=28),
        ("activate", "2027-03"): issue_at,
    }
    done = {
        **done,
        ("rotation-summary", "2027-03"): issue_at,
        ("activation-summary", "2027-03"): issue_at,
    }
    assert plan.due(issue_at - timedelta(seconds=1), done) == []
    assert plan.next_fire_time(issue_at - timedelta(seconds=1), done) == issue_at
    assert kinds(plan.due(issue_at, done)) == [("issue", "2027-04")]


def test_missed_runs_coalesce_into_one_of_each_in_calendar_order() -> None:
    plan = schedule()
    done: Done = {
        ("issue", "2027-03"): local(2027, 2, 24, 9, 0),
        ("activate", "2027-03"): local(2027, 3, 1, 0, 0),
    }
    # Down from Tuesday 30 March to Tuesday 6 April 2027: the issue and the activation
    # run once each, in order; the reminders and the escalation have had their day.
    assert kinds(plan.due(local(2027, 4, 6, 10, 0), done)) == [
        ("issue", "2027-04"),
        ("activate", "2027-04"),
    ]


def test_a_reminder_missed_on_an_earlier_day_is_not_sent_late() -> None:
    plan = schedule()
    done: Done = {("issue", "2027-04"): local(2027, 3, 31, 9, 0)}
    assert ("remind", "2027-04-01") in kinds(plan.due(local(2027, 4, 1, 16, 0), done))
    on_friday_early = kinds(plan.due(local(2027, 4, 2, 8, 0), done))
    assert not [k for k in on_friday_early if k[0] == "remind"]


def test_the_summaries_follow_the_runs_they_report_on() -> None:
    plan = schedule(summary_delay=timedelta(minutes=45))
    finished = local(2027, 3, 31, 9, 3)
    done: Done = {("issue", "2027-04"): finished}
    assert [
        o
        for o in plan.upcoming(local(2027, 3, 31, 9, 10), done)
        if o.kind is JobKind.ROTATION_SUMMARY
    ][0].due_at == finished + timedelta(minutes=45)
    assert ("rotation-summary", "2027-04") in kinds(
        plan.due(finished + timedelta(minutes=45), done)
    )
    activated = local(2027, 4, 5, 0, 0, 2)
    done = {**done, ("activate", "2027-04"): activated}
    assert ("activation-summary", "2027-04") in kinds(plan.due(activated, done))


def test_occurrences_due_before_the_first_start_are_left_out() -> None:
    plan = schedule()
    now = local(2027, 4, 6, 10, 0)
    assert kinds(plan.due(now, {}, since=now)) == []
    assert kinds(plan.due(now, {}, since=local(2027, 3, 1))) == [
        ("issue", "2027-04"),
        ("activate", "2027-04"),
    ]


def test_the_retention_purge_runs_daily_at_its_local_time_and_missed_days_coalesce() -> None:
    plan = schedule(retention_time=time(3, 30))
    now = local(2027, 4, 7, 12, 0)
    [due] = [o for o in plan.due(now, {}) if o.kind is JobKind.RETENTION]
    assert (due.key, due.due_at) == ("2027-04-07", local(2027, 4, 7, 3, 30))
    done: Done = {("retention", "2027-04-07"): now}
    assert JobKind.RETENTION not in {o.kind for o in plan.due(now, done)}
    [coming] = [o for o in plan.upcoming(now, done) if o.kind is JobKind.RETENTION]
    assert coming.due_at == local(2027, 4, 8, 3, 30)
    early = local(2027, 4, 8, 2, 0)  # before today's run: yesterday's, if it never ran
    assert [o.key for o in plan.due(early, {}) if o.kind is JobKind.RETENTION] == ["2027-04-07"]
    assert JobKind.RETENTION not in {o.kind for o in schedule().upcoming(now, {})}  # off

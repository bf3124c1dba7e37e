"""What the scheduler should do, and when: pure, computed from the domain calendar.

Given ``now`` and what has already been done (the finished job runs), ``Schedule``
answers two questions: which occurrences are due now, and when the next one falls.
The runner asks them after every run; tests ask them while stepping a frozen clock
through a year. No cron string is involved, so the bank-holiday rule and the clock
changes are the calendar's, and nothing else's.

Each kind of job has at most one occurrence due at a time (missed runs coalesce):

* ``issue`` of the latest cycle whose issue instant has passed;
* ``activate`` of the cycle in force;
* ``remind`` on a working day after the issue day, before the activation, at most
  ``reminder_limit`` days; one missed on an earlier day is not sent late;
* ``escalate`` on the last working day before the activation, until the activation;
* ``rotation-summary`` some minutes after the cycle's issue run finished, and
  ``activation-summary`` as soon as its activation run finished.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from codeservice.domain.calendar import Calendar, Cycle


class JobKind(StrEnum):
    ISSUE = "issue"
    ACTIVATE = "activate"
    REMIND = "remind"
    ESCALATE = "escalate"
    ROTATION_SUMMARY = "rotation-summary"
    ACTIVATION_SUMMARY = "activation-summary"
    RETENTION = "retention"

    @property
    def rank(self) -> int:
        """Order among occurrences due at the same instant (reminders before escalation)."""
        return list(JobKind).index(self)


Done = Mapping[tuple[str, str], datetime]
"""Finished runs: (job kind, key) -> when the run finished."""


@dataclass(frozen=True)
class Occurrence:
    kind: JobKind
    key: str  # the cycle ("2027-04"), or for reminders the local day ("2027-04-01")
    cycle: Cycle
    due_at: datetime

    @property
    def id(self) -> str:
        return f"{self.kind}:{self.key}"

    def sort_key(self) -> tuple[datetime, int]:
        return (self.due_at, self.kind.rank)

    def describe(self) -> str:
        what = {
            JobKind.ISSUE: f"issue of cycle {self.cycle}",
            JobKind.ACTIVATE: f"activation of cycle {self.cycle}",
            JobKind.REMIND: f"reminders for cycle {self.cycle} on {self.key}",
            JobKind.ESCALATE: f"escalation for cycle {self.cycle}",
            JobKind.ROTATION_SUMMARY: f"BMT summary of the rotation of cycle {self.cycle}",
            JobKind.ACTIVATION_SUMMARY: f"BMT summary of the activation of cycle {self.cycle}",
            JobKind.RETENTION: f"retention purge of {self.key}",
        }
        return what[self.kind]


@dataclass(frozen=True)
class SchedulePolicy:
    reminder_time: time = time(9, 0)
    reminder_limit: int = 3
    escalation_time: time = time(9, 0)
    summary_delay: timedelta = timedelta(minutes=60)
    retention_time: time | None = None  # the daily retention purge (local); None: none


class Schedule:
    def __init__(self, calendar: Calendar, policy: SchedulePolicy) -> None:
        self.calendar = calendar
        self.policy = policy

    # --- the questions ----------------------------------------------------------------

    def due(self, now: datetime, done: Done, since: datetime | None = None) -> list[Occurrence]:
        """Occurrences that should have run by ``now`` and have not, in the order to run.

        Those due before ``since`` (when the scheduler first ran) are left out.
        """
        found = [self._latest(kind, now, done) for kind in JobKind]
        return sorted(
            (
                o
                for o in found
                if o is not None
                and (o.kind, o.key) not in done
                and (since is None or o.due_at >= since)
            ),
            key=Occurrence.sort_key,
        )

    def upcoming(self, now: datetime, done: Done) -> list[Occurrence]:
        """For each kind, the next occurrence after ``now`` (when it can be known yet)."""
        found = [self._next(kind, now, done) for kind in JobKind]
        return sorted((o for o in found if o is not None), key=Occurrence.sort_key)

    def next_fire_time(self, now: datetime, done: Done, since: datetime | None = None) -> datetime:
        """``now`` if anything is due, else the first upcoming instant."""
        if self.due(now, done, since):
            return now
        return min(o.due_at for o in self.upcoming(now, done))

    # --- the calendar of each kind ----------------------------------------------------

    def reminder_days(self, cycle: Cycle) -> list[date]:
        dates = self.calendar.dates(cycle)
        days: list[date] = []
        day = dates.issue_at.date()
        while len(days) < self.policy.reminder_limit:
            day = self.calendar.next_working_day(day)
            if self._local(day, self.policy.reminder_time) >= dates.active_from:
                break
            days.append(day)
        return days

    def reminders(self, cycle: Cycle) -> list[Occurrence]:
        return [
            Occurrence(
                JobKind.REMIND, day.isoformat(), cycle, self._local(day, self.policy.reminder_time)
            )
            for day in self.reminder_days(cycle)
        ]

    def escalation(self, cycle: Cycle) -> Occurrence:
        """On the last working day before the activation; never before the issue."""
        dates = self.calendar.dates(cycle)
        day = self.calendar.previous_working_day(dates.active_from.date())
        at = max(self._local(day, self.policy.escalation_time), dates.issue_at)
        return Occurrence(JobKind.ESCALATE, str(cycle), cycle, at)

    def issue(self, cycle: Cycle) -> Occurrence:
        return Occurrence(JobKind.ISSUE, str(cycle), cycle, self.calendar.dates(cycle).issue_at)

    def activation(self, cycle: Cycle) -> Occurrence:
        return Occurrence(
            JobKind.ACTIVATE, str(cycle), cycle, self.calendar.dates(cycle).active_from
        )

    # --- helpers ----------------------------------------------------------------------

    def retention(self, day: date) -> Occurrence | None:
        """The retention purge of a local day (missed days coalesce into the latest)."""
        at = self.policy.retention_time
        if at is None:
            return None
        when = self._local(day, at)
        return Occurrence(
            JobKind.RETENTION, day.isoformat(), self.calendar.cycle_in_force(when), when
        )

    def _latest(self, kind: JobKind, now: datetime, done: Done) -> Occurrence | None:
        if kind is JobKind.RETENTION:
            day = now.astimezone(self.calendar.policy.tz).date()
            found = self.retention(day)
            if found is not None and found.due_at > now:
                found = self.retention(day - timedelta(days=1))
            return found
        issued = self.calendar.latest_issued(now)
        if kind is JobKind.ISSUE:
            return self.issue(issued)
        if kind is JobKind.ACTIVATE:
            return self.activation(self.calendar.cycle_in_force(now))
        if kind is JobKind.REMIND:
            if now >= self.calendar.dates(issued).active_from:
                return None
            past = [o for o in self.reminders(issued) if o.due_at <= now]
            today = now.astimezone(self.calendar.policy.tz).date().isoformat()
            return past[-1] if past and past[-1].key == today else None
        if kind is JobKind.ESCALATE:
            escalation = self.escalation(issued)
            active_from = self.calendar.dates(issued).active_from
            return escalation if escalation.due_at <= now < active_from else None
        summary = self._summary(kind, now, done)
        return summary if summary is not None and summary.due_at <= now else None

    def _next(self, kind: JobKind, now: datetime, done: Done) -> Occurrence | None:
        if kind is JobKind.RETENTION:
            day = now.astimezone(self.calendar.policy.tz).date()
            found = self.retention(day)
            if found is not None and found.due_at <= now:
                found = self.retention(day + timedelta(days=1))
            return found
        issued, coming = self.calendar.latest_issued(now), self.calendar.next_to_issue(now)
        if kind is JobKind.ISSUE:
            return self.issue(coming)
        if kind is JobKind.ACTIVATE:
            return self.activation(self.calendar.cycle_in_force(now).next())
        if kind is JobKind.REMIND:
            later = [o for c in (issued, coming) for o in self.reminders(c) if o.due_at > now]
            return later[0] if later else self._first_reminder_after(coming.next())
        if kind is JobKind.ESCALATE:
            later = [
                o for o in (self.escalation(issued), self.escalation(coming)) if o.due_at > now
            ]
            return later[0]
        summary = self._summary(kind, now, done)
        if summary is None or summary.due_at <= now or (summary.kind, summary.key) in done:
            return None
        return summary

    def _first_reminder_after(self, cycle: Cycle) -> Occurrence | None:
        # Reminders can be switched off (limit 0), or a cycle can have no working day
        # between its issue and its Monday; look a year ahead at most.
        for _ in range(12):
            reminders = self.reminders(cycle)
            if reminders:
                return reminders[0]
            cycle = cycle.next()
        return None

    def _summary(self, kind: JobKind, now: datetime, done: Done) -> Occurrence | None:
        if kind is JobKind.ROTATION_SUMMARY:
            cycle, after, delay = (
                self.calendar.latest_issued(now),
                JobKind.ISSUE,
                self.policy.summary_delay,
            )
        else:
            cycle, after, delay = self.calendar.cycle_in_force(now), JobKind.ACTIVATE, timedelta(0)
        finished = done.get((after, str(cycle)))
        if finished is None:
            return None  # it follows a run that has not happened yet
        return Occurrence(kind, str(cycle), cycle, finished + delay)

    def _local(self, day: date, at: time) -> datetime:
        tz = self.calendar.policy.tz
        wall = datetime.combine(day, at.replace(tzinfo=None), tzinfo=tz)
        return wall.astimezone(UTC).astimezone(tz)

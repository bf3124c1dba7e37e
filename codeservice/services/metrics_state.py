"""What the database says, read when Prometheus scrapes (a prometheus-client collector).

Every process that answers ``/metrics`` reads the same rows, so these gauges agree
whichever process is scraped. The cycles reported are the one in force and the next.
Labels are a cycle (``2027-04``) or a state: never a code, token, name or address.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from codeservice.domain import challenges as rules
from codeservice.domain.calendar import Calendar, Cycle
from codeservice.services.distribution.dashboard import cycle_board
from codeservice.services.helpline.exposure import exposure_report
from codeservice.storage.uow import UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class ServiceStateCollector(Collector):
    """Built once by the composition root; each scrape reads ``clock`` and opens its
    own read units of work with ``read_uow``."""

    read_uow: Callable[[], UnitOfWork]
    clock: Callable[[], datetime]
    calendar: Calendar
    tz: ZoneInfo
    exposure_limit: int

    def collect(self) -> Iterator[Metric]:
        now = self.clock()
        ok = GaugeMetricFamily(
            "codeservice_state_read_ok",
            "1 when this scrape could read each part of the service's state, else 0.",
            labels=["part"],
        )
        parts: list[tuple[str, Callable[[datetime], list[Metric]]]] = [
            ("cycles", self._cycles),
            ("outbox", self._outbox),
            ("helpline", self._helpline),
            ("staff", self._staff),
            ("audit", self._audit),
        ]
        for name, read in parts:
            try:
                families = read(now)
            except Exception as exc:  # the database gone: say so, serve the rest
                log.warning("metrics: cannot read the %s: %s", name, type(exc).__name__)
                ok.add_metric([name], 0)
                continue
            ok.add_metric([name], 1)
            yield from families
        yield ok

    def cycles_reported(self, now: datetime) -> list[Cycle]:
        in_force = self.calendar.cycle_in_force(now)
        return [in_force, in_force.next()]

    def _cycles(self, now: datetime) -> list[Metric]:
        providers = GaugeMetricFamily(
            "codeservice_rotation_providers",
            "Providers of a cycle by rotation state: issued, failed (the rotation tried and "
            "could not), remaining (not issued yet, failed included).",
            labels=["cycle", "state"],
        )
        outstanding = GaugeMetricFamily(
            "codeservice_acknowledgements_outstanding",
            "SPoCs of a cycle's live codes who have not acknowledged receipt.",
            labels=["cycle"],
        )
        unacknowledged = GaugeMetricFamily(
            "codeservice_providers_unacknowledged",
            "Providers with a code issued for the cycle and no SPoC acknowledgement yet.",
            labels=["cycle"],
        )
        hours = GaugeMetricFamily(
            "codeservice_cycle_hours_to_activation",
            "Hours until the cycle's code comes into force (negative once in force).",
            labels=["cycle"],
        )
        for cycle in self.cycles_reported(now):
            with self.read_uow() as uow:
                board = cycle_board(uow, self.calendar, cycle, now=now)
            counts, name = board.counts, str(cycle)
            providers.add_metric([name, "issued"], counts.codes_issued)
            providers.add_metric([name, "failed"], counts.issue_failed)
            providers.add_metric([name, "remaining"], counts.not_issued)
            outstanding.add_metric([name], counts.not_acknowledged)
            unacknowledged.add_metric([name], counts.codes_issued - counts.providers_acknowledged)
            until = board.dates.active_from - now
            hours.add_metric([name], round(until.total_seconds() / 3600, 3))
        return [providers, outstanding, unacknowledged, hours]

    def _outbox(self, now: datetime) -> list[Metric]:
        with self.read_uow() as uow:
            backlog = uow.outbox.backlog(now)
        due = backlog.pop("due")
        messages = GaugeMetricFamily(
            "codeservice_outbox_messages",
            "Outbox messages by state (queued, sending, sent, failed, cancelled).",
            labels=["state"],
        )
        for state, count in sorted(backlog.items()):
            messages.add_metric([state], count)
        due_now = GaugeMetricFamily(
            "codeservice_outbox_due", "Outbox messages a mail worker would take now.", due
        )
        return [messages, due_now]

    def _helpline(self, now: datetime) -> list[Metric]:
        day = rules.local_day(now, self.tz)
        with self.read_uow() as uow:
            locked = len(uow.helpline.open_locks(day))
            views = exposure_report(uow, limit=self.exposure_limit, now=now)
        flagged = sum(1 for view in views if view.flagged)
        return [
            GaugeMetricFamily(
                "codeservice_helpline_locked_providers",
                "Providers whose helpline verification is locked today.",
                locked,
            ),
            GaugeMetricFamily(
                "codeservice_helpline_codes_over_exposure_limit",
                "Codes in force with at least the exposure limit of positions spoken on calls.",
                flagged,
            ),
        ]

    def _staff(self, now: datetime) -> list[Metric]:
        with self.read_uow() as uow:
            locked = uow.accounts.locked_count(now)
        return [
            GaugeMetricFamily(
                "codeservice_staff_accounts_locked",
                "Staff accounts locked now, from everywhere, after too many wrong passwords.",
                locked,
            )
        ]

    def _audit(self, now: datetime) -> list[Metric]:
        with self.read_uow() as uow:
            last = uow.audit.last_verification()
        verified_ok = GaugeMetricFamily(
            "codeservice_audit_last_verification_ok",
            "1 when the last `audit verify` found the trail intact, 0 when it found problems.",
        )
        verified_at = GaugeMetricFamily(
            "codeservice_audit_last_verification_timestamp_seconds",
            "When `audit verify` last ran (Unix time); absent if it never has.",
        )
        if last is not None:
            at, intact = last
            verified_ok.add_metric([], 1 if intact else 0)
            verified_at.add_metric([], at.timestamp())
        return [verified_ok, verified_at]

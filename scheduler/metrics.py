"""The scheduler's state for Prometheus, read at scrape time from the database.

Any process can answer (not only the leader): whether a live leader holds the lease,
when each job last finished and when it next falls due, how many runs are overdue.
Labels are job kinds (``issue``, ``activate``...): never a holder's name.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from codeservice.bootstrap import Container
from scheduler import ledger
from scheduler.plan import JobKind
from scheduler.status import schedule_status

log = logging.getLogger(__name__)


class SchedulerCollector(Collector):
    def __init__(self, container: Container) -> None:
        self.container = container

    def collect(self) -> Iterator[Metric]:
        ok = GaugeMetricFamily(
            "codeservice_scheduler_state_read_ok",
            "1 when this scrape could read the scheduler's state, else 0.",
        )
        try:
            families = self._families()
        except Exception as exc:
            log.warning("metrics: cannot read the scheduler's state: %s", type(exc).__name__)
            ok.add_metric([], 0)
            yield ok
            return
        ok.add_metric([], 1)
        yield from families
        yield ok

    def _families(self) -> list[Metric]:
        status = schedule_status(self.container, recent=0)
        leader = GaugeMetricFamily(
            "codeservice_scheduler_leader",
            "1 when a live process holds the scheduler lease, 0 when none does.",
            1 if status.leader is not None and status.leader_live else 0,
        )
        last = GaugeMetricFamily(
            "codeservice_scheduler_last_run_timestamp_seconds",
            "When a run of each job last finished (Unix time).",
            labels=["job"],
        )
        finished: dict[str, float] = {}
        for (job, _key), at in ledger.finished_runs(self.container).items():
            if job in {kind.value for kind in JobKind}:
                finished[job] = max(finished.get(job, 0.0), at.timestamp())
        for job, finished_at in sorted(finished.items()):
            last.add_metric([job], finished_at)
        upcoming = GaugeMetricFamily(
            "codeservice_scheduler_next_run_timestamp_seconds",
            "When each job next falls due (Unix time, the service's clock).",
            labels=["job"],
        )
        seen: set[str] = set()
        for occurrence in status.upcoming:
            if occurrence.kind.value not in seen:
                seen.add(occurrence.kind.value)
                upcoming.add_metric([occurrence.kind.value], occurrence.due_at.timestamp())
        overdue = GaugeMetricFamily(
            "codeservice_scheduler_overdue_runs",
            "Job runs due and not done (they run as soon as a scheduler leads).",
            len(status.due),
        )
        return [leader, last, upcoming, overdue]

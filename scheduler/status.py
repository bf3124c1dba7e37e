"""What the scheduler will do next, and who is running it: for ``codeservice status``.

Read from the database and the calendar, so any process can answer, whether or not a
scheduler is running.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from codeservice.bootstrap import Container
from mailer import outbox
from scheduler import lease, ledger
from scheduler.jobs import schedule_for
from scheduler.plan import Occurrence


@dataclass(frozen=True)
class ScheduleStatus:
    now: datetime
    leader: lease.LeaseView | None
    leader_live: bool
    due: list[Occurrence]  # overdue: they run as soon as a scheduler leads
    upcoming: list[Occurrence]
    recent: list[dict[str, Any]]
    outbox: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        def occurrence(o: Occurrence) -> dict[str, str]:
            return {
                "job": str(o.kind),
                "key": o.key,
                "cycle": str(o.cycle),
                "at": o.due_at.isoformat(),
            }

        return {
            "now": self.now.isoformat(),
            "scheduler": None
            if self.leader is None
            else {
                "holder": self.leader.holder,
                "live": self.leader_live,
                "since": self.leader.acquired_at.isoformat(),
                "renewed_at": self.leader.renewed_at.isoformat(),
                "expires_at": self.leader.expires_at.isoformat(),
            },
            "due": [occurrence(o) for o in self.due],
            "next": [occurrence(o) for o in self.upcoming],
            "recent": self.recent,
            "outbox": self.outbox,
        }


def schedule_status(container: Container, recent: int = 10) -> ScheduleStatus:
    now = container.now()
    schedule = schedule_for(container)
    done = ledger.finished_runs(container)
    since = ledger.recorded_first_start(container)
    with container.uow() as uow:
        leader = lease.current(uow.session)
        backlog = outbox.backlog(uow.session, now)
    return ScheduleStatus(
        now=now,
        leader=leader,
        leader_live=leader is not None and leader.live(lease.wall_clock()),
        # Before any scheduler ran here, nothing is overdue: it starts from the present.
        due=[] if since is None else schedule.due(now, done, since),
        upcoming=schedule.upcoming(now, done),
        recent=ledger.recent_runs(container, recent),
        outbox=backlog,
    )

"""A cycle as the BMT dashboard shows it: each provider and SPoC at one stage, the counts,
acknowledgements by day (pure: ``dashboard`` reads the rows).

Each SPoC is at one stage: the furthest step reached, or the step that is failing.
Counts are over the codes that stand; a code revoked by a security reissue is shown,
but counted through its replacement.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Final, Literal

from codeservice.domain.calendar import Cycle, CycleDates
from codeservice.domain.codes import STANDING, CodeState
from mailer.schema import FAILED, SENT, MessageState

RESENT = "resent"

# Where a provider's code stands on the board: a code's own state, or none issued yet.
NOT_ISSUED: Final = "not-issued"
ProviderCodeState = CodeState | Literal["not-issued"]


class Stage(StrEnum):
    """Where one SPoC's delivery stands, furthest step first within each branch."""

    DOCUMENT_QUEUED = "document-queued"
    DOCUMENT_RETRYING = "document-retrying"
    DOCUMENT_FAILING = "document-failing"
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    UNLOCK_RETRYING = "unlock-retrying"
    UNLOCK_FAILING = "unlock-failing"
    UNLOCK_SENT = "unlock-sent"

    @property
    def label(self) -> str:
        return _STAGE_LABELS[self]

    @property
    def failing(self) -> bool:
        return self in (Stage.DOCUMENT_FAILING, Stage.UNLOCK_FAILING)

    @property
    def retrying(self) -> bool:
        return self in (Stage.DOCUMENT_RETRYING, Stage.UNLOCK_RETRYING)


_STAGE_LABELS = {
    Stage.DOCUMENT_QUEUED: "Email 1 waiting to send",
    Stage.DOCUMENT_RETRYING: "Email 1 retrying",
    Stage.DOCUMENT_FAILING: "Email 1 failing",
    Stage.SENT: "Sent, not acknowledged",
    Stage.ACKNOWLEDGED: "Acknowledged",
    Stage.UNLOCK_RETRYING: "Email 2 retrying",
    Stage.UNLOCK_FAILING: "Email 2 failing",
    Stage.UNLOCK_SENT: "Unlock code sent",
}


class Phase(StrEnum):
    UPCOMING = "upcoming"  # before its issue day
    ISSUED = "issued"  # issued, not yet in force
    IN_FORCE = "in-force"
    ENDED = "ended"


@dataclass(frozen=True)
class SpocRow:
    delivery_id: int
    name: str
    email: str
    active: bool
    document_state: MessageState | None
    document_sent_at: datetime | None
    document_error: str | None
    acknowledged_at: datetime | None
    unlock_state: MessageState | None
    unlock_sent_at: datetime | None
    unlock_error: str | None
    resent: int = 0  # times email 1 was sent again with a new link
    last_resent_at: datetime | None = None

    @property
    def stage(self) -> Stage:
        if self.acknowledged_at is not None:
            return _step(
                self.unlock_state,
                self.unlock_error,
                sent=Stage.UNLOCK_SENT,
                failing=Stage.UNLOCK_FAILING,
                retrying=Stage.UNLOCK_RETRYING,
                waiting=Stage.ACKNOWLEDGED,
            )
        return _step(
            self.document_state,
            self.document_error,
            sent=Stage.SENT,
            failing=Stage.DOCUMENT_FAILING,
            retrying=Stage.DOCUMENT_RETRYING,
            waiting=Stage.DOCUMENT_QUEUED,
        )

    @property
    def error(self) -> str | None:
        return self.unlock_error if self.acknowledged_at is not None else self.document_error


def _step(
    state: str | None,
    error: str | None,
    *,
    sent: Stage,
    failing: Stage,
    retrying: Stage,
    waiting: Stage,
) -> Stage:
    if state == SENT:
        return sent
    if state == FAILED:
        return failing
    if error:  # queued again after a temporary failure
        return retrying
    return waiting


@dataclass(frozen=True)
class ProviderRow:
    ref: str
    name: str
    code_state: ProviderCodeState
    document_ref: str | None = None
    active_from: datetime | None = None
    replaced_by: str | None = None  # a revoked code: its replacement's document ref
    replaces: str | None = None  # a replacement: the revoked code's document ref
    spocs: tuple[SpocRow, ...] = ()
    issue_error: str | None = None  # not-issued: why the last rotation could not issue it

    @property
    def standing(self) -> bool:
        return self.code_state in STANDING

    @property
    def counted(self) -> bool:
        return self.code_state != CodeState.REVOKED


@dataclass(frozen=True)
class BoardCounts:
    providers: int = 0
    codes_issued: int = 0
    not_issued: int = 0
    issue_failed: int = 0  # of not_issued: the rotation tried and failed
    without_spocs: int = 0
    spocs: int = 0
    documents_sent: int = 0
    documents_waiting: int = 0
    failing: int = 0
    retrying: int = 0
    acknowledged: int = 0
    not_acknowledged: int = 0
    providers_acknowledged: int = 0
    unlock_sent: int = 0
    reissued: int = 0


@dataclass(frozen=True)
class DayCount:
    day: date
    acknowledgements: int
    cumulative: int
    activation: bool = False  # the Monday the cycle comes into force


@dataclass(frozen=True)
class CycleBoard:
    cycle: Cycle
    dates: CycleDates
    phase: Phase
    providers: tuple[ProviderRow, ...]
    counts: BoardCounts
    acknowledgements: tuple[DayCount, ...] = field(default=())

    @property
    def issued(self) -> bool:
        return self.counts.codes_issued > 0

    @property
    def pending(self) -> int:
        """Active prime providers a rotation would still give a code."""
        return self.counts.not_issued


def phase_of(dates: CycleDates, now: datetime) -> Phase:
    if now < dates.issue_at:
        return Phase.UPCOMING
    if now < dates.active_from:
        return Phase.ISSUED
    if now < dates.active_until:
        return Phase.IN_FORCE
    return Phase.ENDED


def count(providers: list[ProviderRow]) -> BoardCounts:
    counted = [p for p in providers if p.counted]
    spocs = [s for p in counted for s in p.spocs]
    stages = Counter(s.stage for s in spocs)
    issued = [p for p in counted if p.code_state != NOT_ISSUED]
    return BoardCounts(
        providers=len({p.ref for p in counted}),
        codes_issued=len(issued),
        not_issued=len(counted) - len(issued),
        issue_failed=sum(1 for p in counted if p.issue_error),
        without_spocs=sum(1 for p in issued if not p.spocs),
        spocs=len(spocs),
        documents_sent=sum(1 for s in spocs if s.document_sent_at is not None),
        documents_waiting=stages[Stage.DOCUMENT_QUEUED] + stages[Stage.DOCUMENT_RETRYING],
        failing=sum(n for stage, n in stages.items() if stage.failing),
        retrying=sum(n for stage, n in stages.items() if stage.retrying),
        acknowledged=sum(1 for s in spocs if s.acknowledged_at is not None),
        not_acknowledged=sum(1 for s in spocs if s.acknowledged_at is None),
        providers_acknowledged=sum(
            1 for p in issued if any(s.acknowledged_at is not None for s in p.spocs)
        ),
        unlock_sent=sum(1 for s in spocs if s.unlock_sent_at is not None),
        reissued=sum(1 for p in providers if p.code_state == CodeState.REVOKED and p.replaced_by),
    )


def acknowledgements_by_day(dates: CycleDates, spocs: list[SpocRow], tz: tzinfo) -> list[DayCount]:
    """Acknowledgements per local day, from the issue day (or the first acknowledgement,
    if the cycle was issued early) to the cycle's last day."""
    per_day = Counter(
        s.acknowledged_at.astimezone(tz).date() for s in spocs if s.acknowledged_at is not None
    )
    first = min([dates.issue_at.astimezone(tz).date(), *per_day])
    last = (dates.active_until.astimezone(tz) - timedelta(microseconds=1)).date()
    monday = dates.active_from.astimezone(tz).date()
    days: list[DayCount] = []
    total = 0
    day = first
    while day <= last:
        total += per_day.get(day, 0)
        days.append(DayCount(day, per_day.get(day, 0), total, activation=day == monday))
        day += timedelta(days=1)
    return days

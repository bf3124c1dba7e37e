"""The JSON shapes of ``/api/v1``, and how the dashboard's records become them.

Typed so that the OpenAPI description says exactly what comes back: every field,
every state a code or delivery can be in.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from codeservice.domain.codes import CodeState as DomainCodeState
from codeservice.domain.wording import cycle_label
from codeservice.services.distribution.board import (
    BoardCounts,
    CycleBoard,
    Phase,
    ProviderCodeState,
    ProviderRow,
    SpocRow,
    Stage,
)
from codeservice.services.register.providers import ProviderView
from mailer.schema import MessageState

CodeState = Literal["not-issued", "issued", "active", "retired", "revoked"]
_CODE_STATES: dict[ProviderCodeState, CodeState] = {
    "not-issued": "not-issued",
    DomainCodeState.ISSUED: "issued",
    DomainCodeState.ACTIVE: "active",
    DomainCodeState.RETIRED: "retired",
    DomainCodeState.REVOKED: "revoked",
}


class ErrorDetail(BaseModel):
    code: str = Field(description="A short, stable name for the problem.")
    message: str = Field(description="What is wrong, for a person.")


class ErrorBody(BaseModel):
    error: ErrorDetail


class CycleDates(BaseModel):
    issue_at: datetime = Field(description="When the codes are issued (the scheduler's time).")
    active_from: datetime
    active_until: datetime


class Counts(BaseModel):
    """Over the codes that stand: a code revoked by a reissue counts through its replacement."""

    providers: int = Field(ge=0, description="Prime providers (active, or with a code).")
    codes_issued: int = Field(ge=0)
    not_issued: int = Field(ge=0, description="Active prime providers without a code yet.")
    issue_failed: int = Field(
        ge=0, description="Of not_issued: those the last rotation tried and could not issue."
    )
    without_spocs: int = Field(ge=0, description="Codes with no active SPoC to send them to.")
    spocs: int = Field(ge=0, description="Deliveries: one per SPoC per code.")
    documents_sent: int = Field(ge=0)
    documents_waiting: int = Field(ge=0)
    failing: int = Field(ge=0, description="Deliveries whose email failed for good.")
    retrying: int = Field(ge=0)
    acknowledged: int = Field(ge=0)
    not_acknowledged: int = Field(ge=0)
    providers_acknowledged: int = Field(ge=0)
    unlock_sent: int = Field(ge=0)
    reissued: int = Field(ge=0, description="Codes revoked and replaced by a security reissue.")


class DayCount(BaseModel):
    day: date = Field(description="A day in the service's time zone (Europe/London).")
    acknowledgements: int = Field(ge=0)
    cumulative: int = Field(ge=0)
    activation: bool = Field(description="The Monday the cycle comes into force.")


class CycleSummary(BaseModel):
    cycle: str = Field(examples=["2027-04"])
    label: str = Field(examples=["April 2027"])
    phase: Phase
    dates: CycleDates
    counts: Counts


class CycleOverview(CycleSummary):
    acknowledgements_by_day: list[DayCount]


class Spoc(BaseModel):
    delivery_id: int = Field(description="Names this SPoC's delivery in the dashboard's actions.")
    name: str
    email: str
    active: bool
    stage: Stage
    document_state: MessageState | None
    document_sent_at: datetime | None
    acknowledged_at: datetime | None
    unlock_state: MessageState | None
    unlock_sent_at: datetime | None
    error: str | None = Field(description="The mail server's last answer, if failing.")
    resent: int = Field(ge=0, description="Times email 1 was sent again with a new link.")


class ProviderInCycle(BaseModel):
    ref: str
    name: str
    code_state: CodeState
    document_ref: str | None
    replaced_by: str | None = Field(description="A revoked code: its replacement's reference.")
    replaces: str | None = Field(description="A replacement: the revoked code's reference.")
    issue_error: str | None = Field(
        default=None, description="Not issued: why the last rotation could not issue it."
    )
    spocs: list[Spoc]


class CycleDetail(CycleOverview):
    providers: list[ProviderInCycle]


class CycleList(BaseModel):
    cycles: list[CycleSummary] = Field(description="Newest first.")


class Dashboard(BaseModel):
    generated_at: datetime
    in_force: CycleOverview
    next: CycleOverview


class RegisterSpoc(BaseModel):
    name: str
    email: str
    active: bool


class RegisterProvider(BaseModel):
    ref: str
    name: str
    prime_ref: str | None = Field(description="For a subcontractor: its prime provider.")
    active: bool
    spocs: list[RegisterSpoc]
    subcontractors: list[str] = Field(description="Refs of a prime provider's subcontractors.")


class ProviderList(BaseModel):
    query: str | None
    count: int = Field(ge=0)
    providers: list[RegisterProvider]


# --- from the dashboard's records ---------------------------------------------------------


def cycle_summary(board: CycleBoard) -> CycleSummary:
    return CycleSummary(**_summary_fields(board))


def cycle_overview(board: CycleBoard) -> CycleOverview:
    return CycleOverview(**_summary_fields(board), acknowledgements_by_day=_days(board))


def cycle_detail(board: CycleBoard) -> CycleDetail:
    return CycleDetail(
        **_summary_fields(board),
        acknowledgements_by_day=_days(board),
        providers=[_provider(row) for row in board.providers],
    )


def provider_model(view: ProviderView) -> RegisterProvider:
    return RegisterProvider(
        ref=view.ref,
        name=view.name,
        prime_ref=view.prime_ref,
        active=view.active,
        spocs=[RegisterSpoc(name=s.name, email=s.email, active=s.active) for s in view.spocs],
        subcontractors=list(view.subcontractors),
    )


def _summary_fields(board: CycleBoard) -> dict[str, Any]:
    return {
        "cycle": str(board.cycle),
        "label": cycle_label(board.cycle),
        "phase": board.phase,
        "dates": CycleDates(
            issue_at=board.dates.issue_at,
            active_from=board.dates.active_from,
            active_until=board.dates.active_until,
        ),
        "counts": _counts(board.counts),
    }


def _counts(counts: BoardCounts) -> Counts:
    return Counts.model_validate(counts, from_attributes=True)


def _days(board: CycleBoard) -> list[DayCount]:
    return [
        DayCount(
            day=d.day,
            acknowledgements=d.acknowledgements,
            cumulative=d.cumulative,
            activation=d.activation,
        )
        for d in board.acknowledgements
    ]


def _provider(row: ProviderRow) -> ProviderInCycle:
    return ProviderInCycle(
        ref=row.ref,
        name=row.name,
        code_state=_CODE_STATES[row.code_state],
        document_ref=row.document_ref,
        replaced_by=row.replaced_by,
        replaces=row.replaces,
        issue_error=row.issue_error,
        spocs=[_spoc(spoc) for spoc in row.spocs],
    )


def _spoc(spoc: SpocRow) -> Spoc:
    return Spoc(
        delivery_id=spoc.delivery_id,
        name=spoc.name,
        email=spoc.email,
        active=spoc.active,
        stage=spoc.stage,
        document_state=spoc.document_state,
        document_sent_at=spoc.document_sent_at,
        acknowledged_at=spoc.acknowledged_at,
        unlock_state=spoc.unlock_state,
        unlock_sent_at=spoc.unlock_sent_at,
        error=spoc.error,
        resent=spoc.resent,
    )

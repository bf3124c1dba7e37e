"""Where a cycle stands: per provider the code's state, per SPoC each step."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from codeservice.domain.calendar import Cycle
from codeservice.domain.codes import CodeState
from codeservice.services.distribution.board import ProviderCodeState, ProviderRow, SpocRow
from codeservice.services.distribution.cycle_rows import provider_rows
from codeservice.storage.uow import UnitOfWork
from mailer.schema import FAILED, MessageState


@dataclass
class SpocStatus:
    name: str
    email: str
    document_sent_at: datetime | None
    acknowledged_at: datetime | None
    unlock_sent_at: datetime | None
    delivery_error: str | None
    document_state: MessageState | None = None


@dataclass
class ProviderStatus:
    ref: str
    name: str
    code_state: ProviderCodeState
    document_ref: str | None = None
    replaced_by: str | None = None  # a revoked code: its replacement's document ref
    replaces: str | None = None  # a replacement: the revoked code's document ref
    spocs: list[SpocStatus] = field(default_factory=list)
    issue_error: str | None = None  # not-issued: why the last rotation could not issue it


@dataclass
class CycleStatus:
    cycle: str
    providers: list[ProviderStatus]

    @property
    def reissues(self) -> int:
        """Codes of this cycle revoked and replaced by a security reissue."""
        return sum(1 for p in self.providers if p.code_state == CodeState.REVOKED and p.replaced_by)

    def to_json(self) -> dict[str, Any]:
        def iso(value: Any) -> Any:
            return value.isoformat() if isinstance(value, datetime) else value

        return {
            "cycle": self.cycle,
            "reissues": self.reissues,
            "providers": [
                {
                    "ref": p.ref,
                    "name": p.name,
                    "code_state": p.code_state,
                    "document_ref": p.document_ref,
                    "replaced_by": p.replaced_by,
                    "replaces": p.replaces,
                    "issue_error": p.issue_error,
                    "spocs": [
                        {key: iso(value) for key, value in asdict(spoc).items()} for spoc in p.spocs
                    ],
                }
                for p in self.providers
            ],
        }


def cycle_status(uow: UnitOfWork, cycle: Cycle) -> CycleStatus:
    """Where the cycle stands, read in the caller's (read) unit of work."""
    rows = provider_rows(uow, cycle)
    return CycleStatus(cycle=str(cycle), providers=[_provider(row) for row in rows])


def _provider(row: ProviderRow) -> ProviderStatus:
    return ProviderStatus(
        row.ref,
        row.name,
        row.code_state,
        document_ref=row.document_ref,
        replaced_by=row.replaced_by,
        replaces=row.replaces,
        spocs=[_spoc(spoc) for spoc in row.spocs],
        issue_error=row.issue_error,
    )


def _spoc(row: SpocRow) -> SpocStatus:
    errors = [
        error
        for state, error in (
            (row.document_state, row.document_error),
            (row.unlock_state, row.unlock_error),
        )
        if state == FAILED
    ]
    return SpocStatus(
        name=row.name,
        email=row.email,
        document_sent_at=row.document_sent_at,
        acknowledged_at=row.acknowledged_at,
        unlock_sent_at=row.unlock_sent_at,
        delivery_error=errors[0] if errors else None,
        document_state=row.document_state,
    )

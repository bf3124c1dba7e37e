"""How much of each code in force has been spoken on calls (§22).

An eavesdropper who hears enough calls learns a code: the security team sees, per code,
which positions have been asked in answered challenges.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from codeservice.domain import challenges as rules
from codeservice.storage.uow import UnitOfWork


@dataclass(frozen=True)
class ExposureView:
    provider_ref: str
    provider_name: str
    cycle: str
    positions_disclosed: set[int]
    count: int
    flagged: bool
    document_ref: str


def exposure_report(uow: UnitOfWork, *, limit: int, now: datetime) -> list[ExposureView]:
    """For each code in force: which positions have been spoken on calls (flagged at
    ``limit`` positions)."""
    codes = uow.helpline.codes_in_force(now)
    asked = uow.helpline.answered_positions([code.id for code in codes])
    views = []
    for code in codes:
        disclosed = rules.disclosed_positions(rules.parse_positions(p) for p in asked[code.id])
        views.append(
            ExposureView(
                provider_ref=code.provider.ref,
                provider_name=code.provider.name,
                cycle=str(code.cycle),
                positions_disclosed=set(disclosed),
                count=len(disclosed),
                flagged=rules.exposure_flagged(disclosed, limit),
                document_ref=code.document_ref,
            )
        )
    return sorted(views, key=lambda view: view.provider_ref)

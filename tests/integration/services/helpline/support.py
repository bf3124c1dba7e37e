"""What the helpline tests share: the register, the world, drawing and typing characters,
and the check that nothing secret was recorded."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from random import Random

import pytest
from sqlalchemy import select

from codeservice.bootstrap import Container
from codeservice.domain.calendar import Cycle, CycleDates
from codeservice.domain.challenges import (
    Positions,
    draw_positions,
)
from codeservice.services.helpline import ChallengeView
from codeservice.storage.models import AccessCode, AuditRecord
from tests.support.echo import echoed, words
from tests.support.helpline import answer_challenge, start_challenge
from tests.support.register import PLANS_HEADER

REGISTER = PLANS_HEADER + (
    "PRV001,Northfield Employment Ltd,,Ann Lee,ann.lee@example.org,2024-01-08,2024-02-05,\n"
    "PRV002,Harbourside Skills,,Cat Jones,cat@example.com,2024-01-08,2024-02-05,\n"
    "PRV003,Pennine Routes CIC,,Dan Hughes,dan@example.net,2024-01-08,2024-02-05,\n"
    "SUB101,Riverside Community Trust,PRV001,,,,,\n"
    "SUB102,Step Forward Mentoring,PRV001,,,,,\n"
    "SUB301,Moorland Jobs Club,PRV003,,,,,\n"
)
APRIL, MAY = Cycle(2027, 4), Cycle(2027, 5)
# Wednesday 14 April 2027, 10:00 in London (BST).
DURING_APRIL = datetime(2027, 4, 14, 9, 0, tzinfo=UTC)
AGENT = "agent:jo.bloggs"


@dataclass
class World:
    container: Container
    april: CycleDates
    may: CycleDates
    codes: dict[tuple[str, str], str]
    challenge_ids: list[str] = field(default_factory=list)
    given: list[str] = field(default_factory=list)

    def code(self, ref: str = "PRV001", cycle: Cycle = APRIL) -> str:
        return self.codes[(ref, str(cycle))]

    def start(
        self,
        query: str = "PRV001",
        now: datetime = DURING_APRIL,
        positions: Positions | None = None,
    ) -> ChallengeView:
        view = start_challenge(
            self.container,
            query,
            agent=AGENT,
            now=now,
            rng=None if positions is None else drawing(positions),
        )
        self.challenge_ids.append(view.id)
        return view

    def answer(self, view: ChallengeView, characters: str, now: datetime) -> str:
        self.given.append(characters)
        return answer_challenge(self.container, view.id, characters, agent=AGENT, now=now)


def drawing(positions: Positions) -> Random:
    """A seeded generator whose first draw is ``positions``."""
    for seed in range(100_000):
        if draw_positions(Random(seed)) == positions:  # noqa: S311 (test positions)
            return Random(seed)  # noqa: S311
    raise AssertionError(f"no seed draws {positions}")


def chars(code: str, positions: Positions) -> str:
    return "".join(code[p - 1] for p in positions)


def wrong(code: str, positions: Positions) -> str:
    """The right characters but the first, changed to another character."""
    first = code[positions[0] - 1]
    changed = first.swapcase() if first.isalpha() else "2" if first == "9" else str(int(first) + 1)
    return changed + chars(code, positions)[1:]


def letter_positions(code: str) -> Positions:
    """Positions including one where the code has a letter (to test case)."""
    letter = next(i + 1 for i, c in enumerate(code) if c.isalpha())
    others = [p for p in range(1, 9) if p != letter][:2]
    return tuple(sorted([letter, *others]))


def assert_nothing_secret_recorded(world: World, caplog: pytest.LogCaptureFixture) -> None:
    """No code, and nothing a caller said, in the audit trail or the logs."""
    with world.container.uow() as uow:
        records = [
            (r.actor, r.action, r.source, r.details)
            for r in uow.session.scalars(select(AuditRecord))
        ]
        document_refs = list(uow.session.scalars(select(AccessCode.document_ref)))
    texts = [" ".join(record) for record in records]
    texts += [record.getMessage() for record in caplog.records]
    texts += [str(arg) for record in caplog.records for arg in (record.args or ())]
    random_ids = world.challenge_ids + document_refs
    for text in texts:
        for random_id in random_ids:  # random ids could hold any three characters
            text = text.replace(random_id, " ")
        for code in world.codes.values():
            assert code not in text
        for given in (g for g in world.given if len(g) >= 3):
            assert not echoed(given, text, known=words([REGISTER])), f"{given!r} found"
    for _actor, _action, _source, details in records:
        for value in json.loads(details).values():
            assert value not in world.given


def audit_details(container: Container, action: str) -> list[tuple[str, dict[str, object]]]:
    with container.uow() as uow:
        rows = uow.session.scalars(
            select(AuditRecord).where(AuditRecord.action == action).order_by(AuditRecord.seq)
        )
        return [(row.actor, json.loads(row.details)) for row in rows]

"""A small approved provider list with April 2027 codes in force, for helpline web tests."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from codeservice.bootstrap import Container
from codeservice.domain.calendar import Cycle
from codeservice.domain.challenges import Positions
from codeservice.domain.codes import Alphabet
from codeservice.services.distribution.codes import issue_access_code, reveal_access_code
from codeservice.services.helpline import code_in_force
from codeservice.storage.models import AccessCode, AuditRecord
from tests.support.echo import echoed, words
from tests.support.register import PLANS_HEADER, import_register

REGISTER = PLANS_HEADER + (
    "PRV001,Northfield Employment Ltd,,Ann Lee,ann.lee@example.org,2024-01-08,2024-02-05,\n"
    "PRV002,Harbourside Skills,,Cat Jones,cat@example.com,2024-01-08,2024-02-05,\n"
    "PRV003,Pennine Routes CIC,,Dan Hughes,dan@example.net,2024-01-08,2024-02-05,\n"
    "PRV004,Coastal Futures Ltd,,Eve Moss,eve@example.org,2024-01-08,2024-02-05,\n"
    "SUB101,Riverside Community Trust,PRV001,,,,,\n"
)
APRIL = Cycle(2027, 4)
# Wednesday 14 April 2027, 10:00 in London (BST): the April codes are in force.
DURING_APRIL = datetime(2027, 4, 14, 9, 0, tzinfo=UTC)
WITH_CODES = ("PRV001", "PRV002", "PRV003")  # PRV004 has none; PRV003 is no longer active


@dataclass
class HelplineWorld:
    container: Container
    codes: dict[str, str]
    tick: Callable[[], None] = lambda: None  # moves the clock on a little
    challenge_ids: list[str] = field(default_factory=list)
    given: list[str] = field(default_factory=list)

    def code(self, ref: str = "PRV001") -> str:
        """The code in force, read back the way the service reads it."""
        with self.container.uow() as uow:
            provider = uow.register.get_provider(ref)
            assert provider is not None
            code = code_in_force(uow, provider.id, DURING_APRIL)
            assert code is not None
            return reveal_access_code(self.container.keyring, code)


def make_world(container: Container) -> HelplineWorld:
    import_register(container, REGISTER.encode(), "register.csv", actor="tester")
    alphabet = Alphabet.from_excluded(container.settings.code_excluded_characters)
    dates = container.calendar.dates(APRIL)
    codes: dict[str, str] = {}
    with container.uow() as uow:
        for ref in WITH_CODES:
            provider = uow.register.get_provider(ref)
            assert provider is not None
            codes[ref] = issue_access_code(
                uow,
                container.keyring,
                provider=provider,
                cycle=str(APRIL),
                issue_at=dates.issue_at,
                active_from=dates.active_from,
                active_until=dates.active_until,
                now=dates.issue_at,
                alphabet=alphabet,
            ).code
        inactive = uow.register.get_provider("PRV003")
        assert inactive is not None
        inactive.active = False
        uow.commit()
    world = HelplineWorld(container, codes)
    assert world.code("PRV001") == codes["PRV001"]
    return world


def chars(code: str, positions: Positions | list[int]) -> str:
    return "".join(code[p - 1] for p in positions)


def wrong_case(code: str, positions: Positions | list[int]) -> str | None:
    """The right characters with letters in the other case, if any is a letter."""
    right = chars(code, positions)
    swapped = right.swapcase()
    return None if swapped == right else swapped


def wrong(code: str, positions: Positions | list[int]) -> str:
    """The right characters but the first, changed to another character."""
    first = code[positions[0] - 1]
    changed = first.swapcase() if first.isalpha() else "2" if first == "9" else str(int(first) + 1)
    return changed + chars(code, positions)[1:]


def assert_no_secret_in(
    texts: list[str],
    world: HelplineWorld,
    *,
    baseline: list[str] | None = None,
    random: tuple[str, ...] = (),
) -> None:
    """No code, and no three characters a caller gave, in any of ``texts``.

    Random ids (challenges, CSRF tokens, document refs) may hold any three characters
    by chance; they are taken out first. Given characters are looked for as a whole
    word, except one the service could write anyway (see ``tests.support.echo``) or a
    word of ``baseline`` — texts written before it was typed, or of the register.
    """
    with world.container.uow() as uow:
        document_refs = list(uow.session.scalars(select(AccessCode.document_ref)))
    randoms = [*world.challenge_ids, *document_refs, *random]

    def cleaned(text: str) -> str:
        text = re.sub(r'name="csrf_token" value="[^"]*"', " ", text)
        for value in randoms:
            text = text.replace(value, " ")
        return text

    known = words([REGISTER, *(cleaned(text) for text in baseline or [])])
    for text in map(cleaned, texts):
        for code in world.codes.values():
            assert code not in text
        for given in world.given:
            assert not echoed(given, text, known=known), f"{given!r} found"


def audit_and_log_texts(container: Container, caplog: pytest.LogCaptureFixture) -> list[str]:
    with container.uow() as uow:
        records = [
            " ".join((r.actor, r.action, r.source, r.details))
            for r in uow.session.scalars(select(AuditRecord))
        ]
    logs = [record.getMessage() for record in caplog.records]
    logs += [str(arg) for record in caplog.records for arg in (record.args or ())]
    return records + logs


def audit_details(container: Container, prefix: str = "helpline:") -> list[dict[str, object]]:
    with container.uow() as uow:
        rows = uow.session.scalars(select(AuditRecord).order_by(AuditRecord.seq))
        return [
            {"action": r.action, "actor": r.actor, **json.loads(r.details)}
            for r in rows
            if r.action.startswith(prefix)
        ]

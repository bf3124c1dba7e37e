"""Which code a challenge checks: the one in force, switching at Monday midnight."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from codeservice.domain.challenges import (
    NoCodeInForce,
)
from codeservice.domain.codes import Alphabet
from codeservice.services.distribution.codes import issue_access_code
from codeservice.services.helpline import (
    code_in_force,
)
from tests.integration.services.helpline.support import (
    APRIL,
    DURING_APRIL,
    MAY,
    World,
    chars,
)

# --- which code is in force ---------------------------------------------------------


def test_the_code_in_force_switches_at_monday_midnight_in_london(world: World) -> None:
    switch = world.may.active_from
    assert switch == datetime(2027, 5, 2, 23, 0, tzinfo=UTC)  # Monday 3 May, 00:00 BST
    old, new = world.code(cycle=APRIL), world.code(cycle=MAY)
    differing = next(p for p in range(1, 9) if old[p - 1] != new[p - 1])
    positions = tuple(sorted({differing, *[p for p in range(1, 9) if p != differing][:2]}))
    just_before = switch - timedelta(microseconds=1)

    with world.container.uow() as uow:
        prime = uow.register.get_provider("PRV001")
        assert prime is not None
        before, at = code_in_force(uow, prime.id, just_before), code_in_force(uow, prime.id, switch)
        assert before is not None and str(before.cycle) == "2027-04"
        assert at is not None and str(at.cycle) == "2027-05"

    view = world.start(now=switch - timedelta(minutes=3), positions=positions)
    assert world.answer(view, chars(old, positions), just_before) == "pass"

    # Put before midnight, answered after it: the code in force at the answer counts.
    view = world.start(now=switch - timedelta(minutes=2), positions=positions)
    assert world.answer(view, chars(old, positions), switch) == "fail"
    view = world.start(now=switch - timedelta(minutes=1), positions=positions)
    assert world.answer(view, chars(new, positions), switch) == "pass"


def test_a_revoked_code_is_no_longer_accepted(world: World) -> None:
    revoked_at = DURING_APRIL + timedelta(minutes=2)
    view = world.start(positions=(1, 2, 3))
    old_answer = chars(world.code(), (1, 2, 3))
    alphabet = Alphabet.from_excluded(world.container.settings.code_excluded_characters)
    with world.container.uow() as uow:
        prime = uow.register.get_provider("PRV001")
        assert prime is not None
        old = code_in_force(uow, prime.id, DURING_APRIL)
        assert old is not None
        old.state, old.revoked_at = "revoked", revoked_at
        uow.session.flush()
        replacement = issue_access_code(
            uow,
            world.container.keyring,
            provider=prime,
            cycle="2027-04",
            issue_at=revoked_at,
            active_from=revoked_at,
            active_until=world.april.active_until,
            now=revoked_at,
            alphabet=alphabet,
            replaces=old,
        )
        uow.commit()
    world.codes[("PRV001", "replacement")] = replacement.code

    assert world.answer(view, old_answer, revoked_at) == "fail"
    view = world.start(now=revoked_at + timedelta(minutes=1))
    answer = chars(replacement.code, view.positions)
    assert world.answer(view, answer, revoked_at + timedelta(minutes=2)) == "pass"


def test_no_code_in_force_is_a_clear_refusal(world: World) -> None:
    view = world.start()
    with world.container.uow() as uow:
        prime = uow.register.get_provider("PRV001")
        assert prime is not None
        code = code_in_force(uow, prime.id, DURING_APRIL)
        assert code is not None
        code.state, code.revoked_at = "revoked", DURING_APRIL + timedelta(seconds=30)
        uow.commit()

    later = DURING_APRIL + timedelta(minutes=1)
    with pytest.raises(NoCodeInForce, match="no access code is in force for Northfield"):
        world.answer(view, chars(world.code(), view.positions), later)
    with pytest.raises(NoCodeInForce):
        world.start(now=later)
    before_any_code = world.april.active_from - timedelta(days=40)
    with pytest.raises(NoCodeInForce):
        world.start("PRV002", now=before_any_code)

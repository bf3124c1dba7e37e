"""No shopping for positions: the same ones come back after a fail within the hour."""

from __future__ import annotations

from datetime import timedelta

from tests.integration.services.helpline.support import (
    DURING_APRIL,
    World,
    chars,
    wrong,
)

# --- no shopping for positions ------------------------------------------------------


def test_the_same_positions_come_back_after_a_fail_within_the_hour(world: World) -> None:
    view = world.start(positions=(2, 5, 8))
    world.answer(view, wrong(world.code(), (2, 5, 8)), DURING_APRIL + timedelta(minutes=1))

    again = world.start(now=DURING_APRIL + timedelta(minutes=50), positions=(1, 3, 4))
    assert again.positions == (2, 5, 8)
    assert again.positions_reused


def test_a_subcontractor_gets_its_primes_failed_positions(world: World) -> None:
    view = world.start("SUB101", positions=(2, 5, 8))
    world.answer(view, wrong(world.code(), (2, 5, 8)), DURING_APRIL)

    again = world.start("PRV001", now=DURING_APRIL + timedelta(minutes=5), positions=(1, 3, 4))
    assert again.positions == (2, 5, 8)


def test_positions_are_fresh_an_hour_after_a_fail(world: World) -> None:
    view = world.start(positions=(2, 5, 8))
    failed_at = DURING_APRIL + timedelta(minutes=1)
    world.answer(view, wrong(world.code(), (2, 5, 8)), failed_at)

    later = world.start(now=failed_at + timedelta(hours=1), positions=(1, 3, 4))
    assert later.positions == (1, 3, 4)
    assert not later.positions_reused


def test_positions_are_fresh_after_a_pass(world: World) -> None:
    view = world.start(positions=(2, 5, 8))
    world.answer(view, chars(world.code(), (2, 5, 8)), DURING_APRIL)

    assert world.start(positions=(1, 3, 4)).positions == (1, 3, 4)

"""How many positions of each code have been spoken."""

from __future__ import annotations

from datetime import timedelta

from tests.integration.services.helpline.support import (
    DURING_APRIL,
    World,
    chars,
    wrong,
)
from tests.support.helpline import exposure_report

# --- exposure -----------------------------------------------------------------------


def test_exposure_counts_positions_spoken_per_code(world: World) -> None:
    container = world.container
    view = world.start(positions=(1, 2, 3))
    world.answer(view, chars(world.code(), (1, 2, 3)), DURING_APRIL)
    view = world.start(now=DURING_APRIL + timedelta(minutes=1), positions=(3, 4, 5))
    world.answer(view, wrong(world.code(), (3, 4, 5)), DURING_APRIL + timedelta(minutes=2))
    world.start("PRV002", positions=(6, 7, 8))  # never answered: nothing spoken

    report = {(v.provider_ref, v.cycle): v for v in exposure_report(container, DURING_APRIL)}
    assert set(report) == {("PRV001", "2027-04"), ("PRV002", "2027-04"), ("PRV003", "2027-04")}
    assert report[("PRV001", "2027-04")].positions_disclosed == {1, 2, 3, 4, 5}
    assert report[("PRV001", "2027-04")].count == 5
    assert not report[("PRV001", "2027-04")].flagged
    assert report[("PRV002", "2027-04")].count == 0

    view = world.start(now=DURING_APRIL + timedelta(hours=2), positions=(5, 6, 7))
    world.answer(view, chars(world.code(), (5, 6, 7)), DURING_APRIL + timedelta(hours=2))
    [flagged] = [v for v in exposure_report(container, DURING_APRIL) if v.flagged]
    assert (flagged.provider_ref, flagged.count) == ("PRV001", 7)

    # The next cycle's code starts unexposed.
    after = exposure_report(container, world.may.active_from)
    assert {(v.cycle, v.count) for v in after} == {("2027-05", 0)}

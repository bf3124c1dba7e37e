"""The dashboard's view of a cycle: where each SPoC stands, the counts, the day chart."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from codeservice.bootstrap import Container
from codeservice.domain.calendar import Cycle
from codeservice.services.distribution.board import Phase, Stage
from tests.support.clock import Clock
from tests.support.dashboard import (
    APRIL,
    ISSUE_DAY,
    Mailbox,
    acknowledge_as,
    import_example_register,
    issue,
    work_outbox,
)
from tests.support.reading import board_of, cycles_of
from tests.support.reissue import reissue_provider

FAILING = "fiona.macleod@example.org"  # PRV007's only SPoC
RETRYING = "daniel.hughes@example.net"  # PRV003's only SPoC


@pytest.fixture
def clock() -> Clock:
    return Clock(ISSUE_DAY)


@pytest.fixture
def month(container: Container, clock: Clock) -> Iterator[Container]:
    built = Container(container.settings, clock=clock)
    import_example_register(built)
    yield built
    built.close()


def _stages(month: Container) -> dict[str, Stage]:
    board = board_of(month, APRIL)
    return {s.email: s.stage for p in board.providers if p.counted for s in p.spocs}


def test_before_the_issue_day_every_active_prime_is_waiting_for_its_code(
    month: Container, clock: Clock
) -> None:
    clock.now = ISSUE_DAY - timedelta(days=2)

    board = board_of(month, APRIL)

    assert board.phase is Phase.UPCOMING
    assert not board.issued
    assert [p.code_state for p in board.providers] == ["not-issued"] * 8
    assert (board.counts.providers, board.counts.not_issued, board.pending) == (8, 8, 8)
    assert board.counts.spocs == 0


def test_each_spoc_moves_from_queued_to_unlock_code_sent(month: Container, clock: Clock) -> None:
    mailbox = Mailbox()
    issue(month)
    assert set(_stages(month).values()) == {Stage.DOCUMENT_QUEUED}

    work_outbox(month, mailbox, failing=[FAILING], retrying=[RETRYING])
    stages = _stages(month)
    assert stages[FAILING] is Stage.DOCUMENT_FAILING
    assert stages[RETRYING] is Stage.DOCUMENT_RETRYING
    assert stages["priya.raman@example.org"] is Stage.SENT

    clock.now += timedelta(hours=2)
    acknowledge_as(month, mailbox, "priya.raman@example.org")
    assert _stages(month)["priya.raman@example.org"] is Stage.ACKNOWLEDGED

    work_outbox(month, mailbox)
    assert _stages(month)["priya.raman@example.org"] is Stage.UNLOCK_SENT


def test_the_counts_say_how_far_the_cycle_has_gone(month: Container, clock: Clock) -> None:
    mailbox = Mailbox()
    issue(month)
    work_outbox(month, mailbox, failing=[FAILING], retrying=[RETRYING])
    clock.now += timedelta(hours=3)
    for email in ("priya.raman@example.org", "tom.whitaker@example.org", "a.okafor@example.com"):
        acknowledge_as(month, mailbox, email)
    work_outbox(month, mailbox, retrying=[RETRYING])

    board = board_of(month, APRIL)
    counts = board.counts

    assert board.phase is Phase.ISSUED
    assert (counts.providers, counts.codes_issued, counts.not_issued) == (8, 8, 0)
    assert counts.spocs == 15
    assert counts.documents_sent == 13
    assert (counts.failing, counts.retrying, counts.documents_waiting) == (1, 1, 1)
    assert (counts.acknowledged, counts.not_acknowledged) == (3, 12)
    assert counts.providers_acknowledged == 2
    assert counts.unlock_sent == 3
    failing = next(s for p in board.providers for s in p.spocs if s.email == FAILING)
    assert failing.error is not None and "mailbox unavailable" in failing.error


def test_acknowledgements_are_counted_on_the_day_they_happened(
    month: Container, clock: Clock
) -> None:
    mailbox = Mailbox()
    issue(month)
    work_outbox(month, mailbox)
    clock.now = ISSUE_DAY + timedelta(hours=5)  # Wed 31 Mar
    acknowledge_as(month, mailbox, "priya.raman@example.org")
    acknowledge_as(month, mailbox, "a.okafor@example.com")
    clock.now = ISSUE_DAY + timedelta(days=1, hours=15, minutes=30)  # Thu 1 Apr 00:30 BST
    acknowledge_as(month, mailbox, "tom.whitaker@example.org")
    clock.now = ISSUE_DAY + timedelta(days=6)  # Tue 6 Apr, in force
    acknowledge_as(month, mailbox, "sofia.marini@example.org")

    days = board_of(month, APRIL).acknowledgements

    assert days[0].day == date(2027, 3, 31)
    assert days[-1].day == date(2027, 5, 2)  # the day before the next cycle comes in
    by_day = {d.day: (d.acknowledgements, d.cumulative) for d in days}
    assert by_day[date(2027, 3, 31)] == (2, 2)
    assert by_day[date(2027, 4, 1)] == (0, 2)  # 00:30 BST on the 2nd is the 2nd
    assert by_day[date(2027, 4, 2)] == (1, 3)
    assert by_day[date(2027, 4, 6)] == (1, 4)
    assert by_day[date(2027, 5, 2)] == (0, 4)
    assert [d.day for d in days if d.activation] == [date(2027, 4, 5)]


def test_a_reissued_code_is_shown_and_counted_through_its_replacement(
    month: Container, clock: Clock
) -> None:
    mailbox = Mailbox()
    issue(month)
    work_outbox(month, mailbox)
    clock.now = ISSUE_DAY + timedelta(days=8)
    reissue_provider(month, "PRV001", reason="A test precaution.", actor="test", source="test")

    board = board_of(month, APRIL)

    prv001 = [p for p in board.providers if p.ref == "PRV001"]
    assert [p.code_state for p in prv001] == ["revoked", "active"]
    assert prv001[0].replaced_by == prv001[1].document_ref
    assert prv001[1].replaces == prv001[0].document_ref
    assert (board.counts.providers, board.counts.codes_issued, board.counts.reissued) == (8, 8, 1)
    assert board.counts.spocs == 15  # the revoked code's two deliveries are not counted


def test_the_known_cycles_are_those_with_codes_and_the_two_around_now(
    month: Container, clock: Clock
) -> None:
    issue(month)
    clock.now = ISSUE_DAY + timedelta(days=60)  # late May: 2027-05 in force

    assert cycles_of(month) == [Cycle(2027, 6), Cycle(2027, 5), APRIL]

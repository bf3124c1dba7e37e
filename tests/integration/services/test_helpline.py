from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from random import Random

import pytest
from sqlalchemy import select

from codeservice.bootstrap import Container
from codeservice.domain.calendar import Cycle, CycleDates
from codeservice.domain.challenges import (
    NO_LONGER_ACTIVE,
    NOT_LISTED,
    PRIME_NOT_ACTIVE,
    AmbiguousProvider,
    AnswerMalformed,
    ChallengeAnswered,
    ChallengeExpired,
    ChallengeNotFound,
    NoCodeInForce,
    NotEligible,
    NotLocked,
    Positions,
    VerificationLocked,
    draw_positions,
)
from codeservice.domain.codes import Alphabet
from codeservice.services.distribution.codes import issue_access_code
from codeservice.services.helpline import (
    ChallengeView,
    answer_challenge,
    code_in_force,
    exposure_report,
    search_providers,
    start_challenge,
    unlock_verification,
    verification_locks,
)
from codeservice.services.register.providers import import_register
from codeservice.storage.models import AccessCode, AuditRecord, Challenge, VerificationLock
from mailer import outbox
from mailer.entry import OutboxEntry
from tests.support.echo import echoed, words

REGISTER = (
    "ref,name,prime_ref,spoc_name,spoc_email\n"
    "PRV001,Northfield Employment Ltd,,Ann Lee,ann.lee@example.org\n"
    "PRV002,Harbourside Skills,,Cat Jones,cat@example.com\n"
    "PRV003,Pennine Routes CIC,,Dan Hughes,dan@example.net\n"
    "SUB101,Riverside Community Trust,PRV001,,\n"
    "SUB102,Step Forward Mentoring,PRV001,,\n"
    "SUB301,Moorland Jobs Club,PRV003,,\n"
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


@pytest.fixture
def world(container: Container, caplog: pytest.LogCaptureFixture) -> Iterator[World]:
    caplog.set_level(logging.DEBUG)
    import_register(container, REGISTER.encode(), "register.csv", actor="tester")
    alphabet = Alphabet.from_excluded(container.settings.code_excluded_characters)
    codes: dict[tuple[str, str], str] = {}
    dates = {cycle: container.calendar.dates(cycle) for cycle in (APRIL, MAY)}
    with container.uow() as uow:
        for cycle, when in dates.items():
            for ref in ("PRV001", "PRV002", "PRV003"):
                provider = uow.register.get_provider(ref)
                assert provider is not None
                issued = issue_access_code(
                    uow,
                    container.keyring,
                    provider=provider,
                    cycle=str(cycle),
                    issue_at=when.issue_at,
                    active_from=when.active_from,
                    active_until=when.active_until,
                    now=when.issue_at,
                    alphabet=alphabet,
                )
                codes[(ref, str(cycle))] = issued.code
        for ref in ("PRV003", "SUB102"):
            provider = uow.register.get_provider(ref)
            assert provider is not None
            provider.active = False
        uow.commit()
    built = World(container, dates[APRIL], dates[MAY], codes)
    yield built
    assert_nothing_secret_recorded(built, caplog)


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


# --- the answer ---------------------------------------------------------------------


def test_a_correct_answer_passes(world: World) -> None:
    view = world.start()

    assert len(view.positions) == 3 and len(set(view.positions)) == 3
    assert view.provider_ref == view.prime_ref == "PRV001"
    assert view.expires_at == DURING_APRIL + timedelta(minutes=5)
    answer = chars(world.code(), view.positions)
    assert world.answer(view, answer, DURING_APRIL + timedelta(minutes=1)) == "pass"


def test_a_wrong_case_fails(world: World) -> None:
    positions = letter_positions(world.code())
    view = world.start(positions=positions)
    assert view.positions == positions
    right = chars(world.code(), positions)
    letter = next(i for i, c in enumerate(right) if c.isalpha())
    swapped = right[:letter] + right[letter].swapcase() + right[letter + 1 :]

    assert world.answer(view, swapped, DURING_APRIL + timedelta(minutes=1)) == "fail"


def test_a_wrong_character_fails_and_says_nothing_more(world: World) -> None:
    view = world.start()
    result = world.answer(view, wrong(world.code(), view.positions), DURING_APRIL)
    assert result == "fail"


def test_spaces_between_characters_are_ignored(world: World) -> None:
    view = world.start()
    answer = " ".join(chars(world.code(), view.positions))
    assert world.answer(view, answer, DURING_APRIL) == "pass"


def test_not_three_characters_is_refused_without_using_the_challenge(world: World) -> None:
    view = world.start()
    right = chars(world.code(), view.positions)

    for bad in (right[:2], right + "x", ""):
        with pytest.raises(AnswerMalformed, match="give exactly three characters"):
            world.answer(view, bad, DURING_APRIL)

    assert world.answer(view, right, DURING_APRIL + timedelta(minutes=1)) == "pass"


def test_challenges_and_answers_are_audited_without_characters(world: World) -> None:
    view = world.start()
    world.answer(view, chars(world.code(), view.positions), DURING_APRIL)

    positions = ",".join(str(p) for p in view.positions)
    [(actor, created)] = audit_details(world.container, "helpline:challenge:create")
    assert actor == AGENT
    assert created["challenge"] == view.id
    assert created["provider"] == created["prime"] == "PRV001"
    assert created["positions"] == positions
    [(actor, answered)] = audit_details(world.container, "helpline:challenge:answer")
    assert actor == AGENT
    assert answered["positions"] == positions
    assert answered["result"] == "pass"
    assert set(answered) == {
        "challenge",
        "provider",
        "prime",
        "positions",
        "result",
        "document_ref",
    }


# --- which code is in force ----------------------------------------------------------


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


# --- single use and expiry -------------------------------------------------------------


def test_an_answered_challenge_cannot_be_answered_again(world: World) -> None:
    view = world.start()
    right = chars(world.code(), view.positions)
    assert world.answer(view, right, DURING_APRIL) == "pass"

    with pytest.raises(ChallengeAnswered) as raised:
        world.answer(view, right, DURING_APRIL + timedelta(seconds=10))
    assert raised.value.code == "challenge_answered"
    [(_, rejected)] = audit_details(world.container, "helpline:answer:reject")
    assert rejected["refused"] == "challenge_answered"


def test_an_expired_challenge_cannot_be_answered(world: World) -> None:
    view = world.start()
    right = chars(world.code(), view.positions)

    with pytest.raises(ChallengeExpired) as raised:
        world.answer(view, right, view.expires_at)
    assert raised.value.code == "challenge_expired"
    with world.container.uow() as uow:
        challenge = uow.session.get(Challenge, view.id)
        assert challenge is not None and challenge.answered_at is None


def test_an_unknown_challenge_is_not_found(world: World) -> None:
    with pytest.raises(ChallengeNotFound) as raised:
        answer_challenge(world.container, "no-such-id", "abc", agent=AGENT, now=DURING_APRIL)
    assert raised.value.code == "challenge_not_found"


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


# --- locking ------------------------------------------------------------------------


def fail_once(world: World, at: datetime, query: str = "PRV001") -> None:
    view = world.start(query, now=at)
    answer = wrong(world.code(), view.positions)
    assert world.answer(view, answer, at + timedelta(seconds=30)) == "fail"


def alerts(container: Container) -> list[OutboxEntry]:
    with container.uow() as uow:
        return [e for e in outbox.entries(uow.session) if e.category == "helpline-locked"]


def test_three_fails_lock_verification_for_the_day_and_alert_once(world: World) -> None:
    container = world.container
    open_challenge = world.start("PRV001", now=DURING_APRIL)
    for minutes, query in ((1, "PRV001"), (10, "SUB101"), (20, "PRV001")):
        fail_once(world, DURING_APRIL + timedelta(minutes=minutes), query)

    with pytest.raises(VerificationLocked) as raised:
        world.start(now=DURING_APRIL + timedelta(minutes=30))
    assert raised.value.code == "verification_locked"
    with pytest.raises(VerificationLocked):
        world.start("SUB101", now=DURING_APRIL + timedelta(hours=5))
    with pytest.raises(VerificationLocked):
        world.answer(
            open_challenge,
            chars(world.code(), open_challenge.positions),
            DURING_APRIL + timedelta(minutes=4),
        )
    # Another provider is not affected.
    assert world.start("PRV002", now=DURING_APRIL + timedelta(minutes=30)).prime_ref == "PRV002"

    [alert] = alerts(container)
    assert alert.recipients == (container.settings.security_mailbox,)
    assert "Northfield Employment Ltd" in alert.subject and "PRV001" in alert.subject
    with container.uow() as uow:
        body = outbox.open_message(alert, container.keyring).get_body(("plain",))
        assert body is not None
        text = body.get_content()
        rows = uow.session.scalars(select(VerificationLock))
        locks = [(lock.fails, lock.unlocked_at) for lock in rows]
    assert "3 failed" in text and "Riverside Community Trust (SUB101)" in text
    assert all(code not in text for code in world.codes.values())
    assert locks == [(3, None)]
    assert [view.provider_ref for view in verification_locks(container, DURING_APRIL)] == ["PRV001"]
    [(actor, locked)] = audit_details(container, "helpline:verification:lock")
    assert locked == {"prime": "PRV001", "day": "2027-04-14", "fails": 3}


def test_the_lock_ends_at_the_next_day(world: World) -> None:
    for minutes in (1, 10, 20):
        fail_once(world, DURING_APRIL + timedelta(minutes=minutes))
    # 23:59 and then 00:00 in London (BST: one hour ahead of UTC).
    with pytest.raises(VerificationLocked):
        world.start(now=datetime(2027, 4, 14, 22, 59, tzinfo=UTC))

    view = world.start(now=datetime(2027, 4, 14, 23, 0, tzinfo=UTC))
    assert view.prime_ref == "PRV001"


def test_the_security_team_can_unlock(world: World) -> None:
    container = world.container
    for minutes in (1, 10, 20):
        fail_once(world, DURING_APRIL + timedelta(minutes=minutes))
    unlocked_at = DURING_APRIL + timedelta(minutes=40)

    unlock_verification(container, "PRV001", actor="security:sam", now=unlocked_at)

    view = world.start(now=unlocked_at + timedelta(minutes=1))
    answer = chars(world.code(), view.positions)
    assert world.answer(view, answer, unlocked_at + timedelta(minutes=2)) == "pass"
    with pytest.raises(NotLocked):
        unlock_verification(container, "PRV001", actor="security:sam", now=unlocked_at)
    [(actor, unlocked)] = audit_details(container, "helpline:verification:unlock")
    assert actor == "security:sam" and unlocked["prime"] == "PRV001"

    # Fails before the unlock no longer count; three more lock it again, with a new alert.
    for minutes in (50, 55):
        fail_once(world, DURING_APRIL + timedelta(minutes=minutes))
    world.start(now=DURING_APRIL + timedelta(minutes=58))
    fail_once(world, DURING_APRIL + timedelta(minutes=59))
    with pytest.raises(VerificationLocked):
        world.start(now=DURING_APRIL + timedelta(minutes=70))
    assert len(alerts(container)) == 2


# --- eligibility -----------------------------------------------------------------------


def test_a_subcontractors_challenge_checks_its_primes_code(world: World) -> None:
    view = world.start("Riverside")
    assert (view.provider_ref, view.prime_ref) == ("SUB101", "PRV001")
    assert view.provider_name == "Riverside Community Trust"
    assert world.answer(view, chars(world.code(), view.positions), DURING_APRIL) == "pass"


def test_inactive_and_unknown_organisations_are_refused(world: World) -> None:
    cases = {
        "PRV003": NO_LONGER_ACTIVE,
        "SUB102": NO_LONGER_ACTIVE,
        "SUB301": PRIME_NOT_ACTIVE,
        "Acme Widgets": NOT_LISTED,
    }
    for query, reason in cases.items():
        with pytest.raises(NotEligible) as raised:
            world.start(query)
        assert raised.value.reason == reason
        assert raised.value.code == "not_eligible"
    refused = audit_details(world.container, "helpline:challenge:refuse")
    assert [details["reason"] for _, details in refused] == list(cases.values())


def test_a_search_matching_several_organisations_asks_for_a_ref(world: World) -> None:
    with pytest.raises(AmbiguousProvider, match="PRV001"):
        world.start("PRV")


def test_search_shows_eligibility(world: World) -> None:
    found = {view.ref: view for view in search_providers(world.container, "SUB")}
    assert found["SUB101"].eligible and found["SUB101"].prime_ref == "PRV001"
    assert found["SUB102"].reason == NO_LONGER_ACTIVE
    assert found["SUB301"].reason == PRIME_NOT_ACTIVE
    assert search_providers(world.container, "nobody") == []


# --- exposure ---------------------------------------------------------------------------


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

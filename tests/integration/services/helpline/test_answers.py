"""Answering a challenge: right, wrong, malformed; once only, and not after it expired."""

from __future__ import annotations

from datetime import timedelta

import pytest

from codeservice.domain.audit import AuditTag
from codeservice.domain.challenges import (
    AnswerMalformed,
    ChallengeAnswered,
    ChallengeExpired,
    ChallengeNotFound,
)
from codeservice.services.operations import audit
from codeservice.services.operations.audit import verify_chain
from codeservice.storage.models import Challenge
from tests.integration.services.helpline.support import (
    AGENT,
    DURING_APRIL,
    World,
    audit_details,
    chars,
    letter_positions,
    wrong,
)
from tests.support.helpline import answer_challenge

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


# --- single use and expiry ----------------------------------------------------------


def test_an_answered_challenge_cannot_be_answered_again(world: World) -> None:
    view = world.start()
    right = chars(world.code(), view.positions)
    assert world.answer(view, right, DURING_APRIL) == "pass"

    with pytest.raises(ChallengeAnswered) as raised:
        world.answer(view, right, DURING_APRIL + timedelta(seconds=10))
    assert raised.value.code == "challenge_answered"
    [(_, rejected)] = audit_details(world.container, "helpline:answer:reject")
    assert rejected["refused"] == "challenge_answered"


def test_an_answer_taken_first_elsewhere_is_refused_and_appends_nothing(world: World) -> None:
    """The race the row lock leaves no room for today, taken by hand: the challenge is
    answered after this transaction read it open. Its UPDATE changes nothing, so no
    answer is recorded (on PostgreSQL it goes in the record's own statement, whose
    append then raises); the refusal follows on from the same head."""
    view = world.start()
    right = chars(world.code(), view.positions)
    assert world.answer(view, right, DURING_APRIL) == "pass"
    container = world.container
    later = DURING_APRIL + timedelta(seconds=10)

    with container.uow() as uow:
        challenge = uow.session.get(Challenge, view.id)
        assert challenge is not None
        code_id = challenge.access_code_id
        head = uow.audit.last_for_append()
        with pytest.raises(ChallengeAnswered):
            uow.helpline.take_answer(view.id, result="fail", code_id=code_id, now=later)
            audit.event(
                uow,
                container.keyring,
                AuditTag.HELPLINE_CHALLENGE_ANSWER,
                actor=AGENT,
                source="helpline",
                now=later,
                challenge=view.id,
            )
        assert uow.audit.last_for_append() == head
        audit.event(
            uow,
            container.keyring,
            AuditTag.HELPLINE_ANSWER_REJECT,
            actor=AGENT,
            source="helpline",
            now=later,
            challenge=view.id,
            refused="challenge_answered",
        )
        uow.commit()

    with container.read_uow() as uow:
        _, problem = verify_chain(uow, container.keyring.audit_key)
        challenge = uow.session.get(Challenge, view.id)
        assert challenge is not None and challenge.result == "pass"
    assert problem is None
    assert len(audit_details(container, "helpline:challenge:answer")) == 1
    [(_, rejected)] = audit_details(container, "helpline:answer:reject")
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

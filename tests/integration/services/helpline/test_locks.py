"""Three fails lock verification for the day, alert once, and can be unlocked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from codeservice.bootstrap import Container
from codeservice.domain.challenges import (
    NotLocked,
    VerificationLocked,
)
from codeservice.storage.models import VerificationLock
from mailer import outbox
from mailer.entry import OutboxEntry
from tests.integration.services.helpline.support import (
    DURING_APRIL,
    World,
    audit_details,
    chars,
    wrong,
)
from tests.support.helpline import unlock_verification, verification_locks

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

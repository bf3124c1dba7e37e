from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from mailer import claims, outbox
from mailer.schema import outbox as outbox_table
from mailer.schema import outbox_bodies
from tests.integration.mailer.support import AesGcmSealer, entry, message, queue
from tests.support.clock import Clock

Sessions = sessionmaker[Session]


def test_enqueue_stores_the_envelope_and_a_fixed_message_id(
    sessions: Sessions, sealer: AesGcmSealer, clock: Clock
) -> None:
    built = message(to="Ann <ann@provider.example.org>", Cc="bob@provider.example.org")
    built["Bcc"] = "audit@bmt.example.gov.uk"
    with sessions.begin() as session:
        entry_id = outbox.enqueue(
            session, built, dedupe_key="doc:1", category="document", now=clock(), sealer=sealer
        )
    found = entry(sessions, entry_id)
    assert found.state == "queued"
    assert found.recipients == (
        "ann@provider.example.org",
        "bob@provider.example.org",
        "audit@bmt.example.gov.uk",
    )
    assert found.recipient_domains == ("bmt.example.gov.uk", "provider.example.org")
    assert found.subject == "Your access code document"
    assert found.due_at == clock() and found.created_at == clock()
    assert found.message_id == built["Message-ID"]
    assert found.message_id.endswith("@example.gov.uk>")
    opened = outbox.open_message(found, sealer)
    assert opened["Message-ID"] == found.message_id
    assert opened["Bcc"] is None  # the envelope carries it, the headers do not
    assert opened.get_content().strip() == "Hello"


def test_the_same_dedupe_key_is_queued_once(
    sessions: Sessions, sealer: AesGcmSealer, clock: Clock
) -> None:
    first = queue(sessions, sealer, clock(), "unlock:delivery-7")
    again = queue(sessions, sealer, clock(), "unlock:delivery-7", body="different")
    with sessions.begin() as session:  # twice inside one transaction, too
        third = outbox.enqueue(
            session,
            message(),
            dedupe_key="unlock:delivery-7",
            category="x",
            now=clock(),
            sealer=sealer,
        )
        assert third == first
    assert again == first
    with sessions() as session:
        assert session.execute(select(outbox_table.c.id)).scalars().all() == [first]


def test_enqueue_does_not_commit_the_callers_transaction(
    sessions: Sessions, sealer: AesGcmSealer, clock: Clock
) -> None:
    with sessions() as session:
        outbox.enqueue(session, message(), dedupe_key="k", category="c", now=clock(), sealer=sealer)
        session.rollback()
    with sessions() as session:
        assert outbox.backlog(session, clock())["queued"] == 0


def test_the_stored_body_is_sealed(sessions: Sessions, sealer: AesGcmSealer, clock: Clock) -> None:
    marker = "UNLOCK-Zq7xT4pW"
    entry_id = queue(sessions, sealer, clock(), body=f"Your unlock code is {marker}")
    with sessions() as session:
        row = session.execute(select(outbox_table).where(outbox_table.c.id == entry_id)).one()
    stored = b"".join(value if isinstance(value, bytes) else str(value).encode() for value in row)
    assert marker.encode() not in stored
    assert b"unlock code is" not in stored
    assert marker in outbox.open_message(entry(sessions, entry_id), sealer).get_content()


def test_a_body_moved_to_another_row_does_not_open(
    sessions: Sessions, sealer: AesGcmSealer, clock: Clock
) -> None:
    first = queue(sessions, sealer, clock(), "a")
    second = queue(sessions, sealer, clock(), "b")
    with sessions.begin() as session:
        body = session.execute(
            select(outbox_bodies.c.sealed).where(outbox_bodies.c.outbox_id == first)
        ).scalar_one()
        session.execute(
            update(outbox_bodies).where(outbox_bodies.c.outbox_id == second).values(sealed=body)
        )
    with pytest.raises(Exception):  # noqa: B017 (the sealer's own authentication error)
        outbox.open_message(entry(sessions, second), sealer)


def test_due_times_in_any_zone_compare_as_instants(
    sessions: Sessions, sealer: AesGcmSealer
) -> None:
    london = ZoneInfo("Europe/London")
    # 10:00 BST is 09:00 UTC: due at 09:30 UTC, although "10:00" > "09:30" as wall time.
    queue(
        sessions,
        sealer,
        datetime(2027, 6, 1, 8, 0, tzinfo=UTC),
        "k",
        due_at=datetime(2027, 6, 1, 10, 0, tzinfo=london),
    )
    with sessions.begin() as session:
        early = claims.claim_due(
            session,
            worker_id="w",
            now=datetime(2027, 6, 1, 8, 59, tzinfo=UTC),
            claim_seconds=60,
            limit=10,
        )
        on_time = claims.claim_due(
            session,
            worker_id="w",
            now=datetime(2027, 6, 1, 9, 30, tzinfo=UTC),
            claim_seconds=60,
            limit=10,
        )
    assert early == []
    assert [e.dedupe_key for e in on_time] == ["k"]
    assert on_time[0].due_at == datetime(2027, 6, 1, 9, 0, tzinfo=UTC)
    assert on_time[0].claim_expires_at == datetime(2027, 6, 1, 9, 31, tzinfo=UTC)


def test_naive_times_are_refused(sessions: Sessions, sealer: AesGcmSealer) -> None:
    with pytest.raises(ValueError, match="naive"):
        queue(sessions, sealer, datetime(2027, 6, 1, 8, 0))


def test_a_claimed_message_is_not_claimed_again_until_its_claim_expires(
    sessions: Sessions, sealer: AesGcmSealer, clock: Clock
) -> None:
    entry_id = queue(sessions, sealer, clock())
    with sessions.begin() as session:
        first = claims.claim_due(session, worker_id="a", now=clock(), claim_seconds=300, limit=10)
    with sessions.begin() as session:
        second = claims.claim_due(
            session,
            worker_id="b",
            now=clock() + timedelta(seconds=299),
            claim_seconds=300,
            limit=10,
        )
    with sessions.begin() as session:
        third = claims.claim_due(
            session,
            worker_id="c",
            now=clock() + timedelta(seconds=301),
            claim_seconds=300,
            limit=10,
        )
    assert [e.id for e in first] == [entry_id] and second == []
    assert [(e.id, e.claimed_by, e.attempts) for e in third] == [(entry_id, "c", 2)]
    with sessions.begin() as session:  # the first worker lost it: its marks change nothing
        assert not claims.mark_sent(session, entry_id, "a", smtp_response="250 OK", now=clock())
        assert claims.mark_sent(session, entry_id, "c", smtp_response="250 OK", now=clock())


def test_sent_drops_the_body_and_failed_keeps_it(
    sessions: Sessions, sealer: AesGcmSealer, clock: Clock
) -> None:
    sent_id = queue(sessions, sealer, clock(), "sent")
    failed_id = queue(sessions, sealer, clock(), "failed")
    with sessions.begin() as session:
        claims.claim_due(session, worker_id="w", now=clock(), claim_seconds=60, limit=10)
        assert claims.mark_sent(session, sent_id, "w", smtp_response="250 queued", now=clock())
        assert claims.mark_failed(session, failed_id, "w", error="550 no such user", now=clock())
    sent, failed = entry(sessions, sent_id), entry(sessions, failed_id)
    assert (sent.state, sent.sent_at, sent.smtp_response, sent.has_body) == (
        "sent",
        clock(),
        "250 queued",
        False,
    )
    assert (failed.state, failed.last_error, failed.has_body) == (
        "failed",
        "550 no such user",
        True,
    )
    with pytest.raises(ValueError, match="no stored body"):
        outbox.open_message(sent, sealer)


def test_retry_backs_off_and_gives_up_after_the_last_attempt(
    sessions: Sessions, sealer: AesGcmSealer, clock: Clock
) -> None:
    entry_id = queue(sessions, sealer, clock())
    rng = random.Random(3)  # noqa: S311 (jitter, not secrecy)
    ceilings = [30, 60]
    for attempt, ceiling in enumerate(ceilings, start=1):
        with sessions.begin() as session:
            claimed = claims.claim_due(
                session, worker_id="w", now=clock(), claim_seconds=60, limit=1
            )
            assert [e.attempts for e in claimed] == [attempt]
            state = claims.mark_retry(
                session, entry_id, "w", error="451 later", now=clock(), rng=rng, max_attempts=3
            )
        found = entry(sessions, entry_id)
        assert state == "queued" == found.state
        assert clock() <= found.due_at <= clock() + timedelta(seconds=ceiling)
        assert found.last_error == "451 later"
        clock.advance(hours=1)
    with sessions.begin() as session:
        claims.claim_due(session, worker_id="w", now=clock(), claim_seconds=60, limit=1)
        state = claims.mark_retry(
            session, entry_id, "w", error="451 later", now=clock(), rng=rng, max_attempts=3
        )
    found = entry(sessions, entry_id)
    assert state == "failed" == found.state
    assert found.last_error == "451 later (gave up after 3 attempts)"
    assert found.has_body


def test_retry_failed_queues_a_failed_message_again(
    sessions: Sessions, sealer: AesGcmSealer, clock: Clock
) -> None:
    failed_id = queue(sessions, sealer, clock(), "f")
    queued_id = queue(sessions, sealer, clock(), "q", due_at=clock() + timedelta(days=1))
    with sessions.begin() as session:
        claims.claim_due(session, worker_id="w", now=clock(), claim_seconds=60, limit=10)
        claims.mark_failed(session, failed_id, "w", error="550 no", now=clock())
    clock.advance(hours=2)
    with sessions.begin() as session:
        assert outbox.retry_failed(session, [failed_id, queued_id, 999], clock()) == [failed_id]
    found = entry(sessions, failed_id)
    assert (found.state, found.attempts, found.due_at) == ("queued", 0, clock())


def test_release_hands_claims_back_without_counting_an_attempt(
    sessions: Sessions, sealer: AesGcmSealer, clock: Clock
) -> None:
    entry_id = queue(sessions, sealer, clock())
    with sessions.begin() as session:
        claims.claim_due(session, worker_id="w", now=clock(), claim_seconds=60, limit=1)
        assert claims.release(session, [entry_id], "other") == 0
        assert claims.release(session, [entry_id], "w") == 1
    found = entry(sessions, entry_id)
    assert (found.state, found.attempts, found.claim_expires_at) == ("queued", 0, None)


def test_reseal_all_moves_every_stored_body_to_a_new_key(
    sessions: Sessions, sealer: AesGcmSealer, clock: Clock
) -> None:
    ids = [queue(sessions, sealer, clock(), f"k{n}", body=f"body {n}") for n in range(3)]
    with sessions.begin() as session:  # a sent message has no body left to re-seal
        claims.claim_due(session, worker_id="w", now=clock(), claim_seconds=60, limit=1)
        claims.mark_sent(session, ids[0], "w", smtp_response="250", now=clock())
    new = AesGcmSealer()

    def reseal(sealed: bytes, context: bytes) -> bytes:
        return new.seal(sealer.open(sealed, context=context), context=context)

    with sessions.begin() as session:
        assert outbox.reseal_all(session, reseal) == 2
    for n in (1, 2):
        assert outbox.open_message(entry(sessions, ids[n]), new).get_content().strip() == (
            f"body {n}"
        )


def test_status_helpers(sessions: Sessions, sealer: AesGcmSealer, clock: Clock) -> None:
    now_id = queue(sessions, sealer, clock(), "now")
    later_id = queue(sessions, sealer, clock(), "later", due_at=clock() + timedelta(hours=1))
    with sessions() as session:
        assert outbox.backlog(session, clock()) == {
            "queued": 2,
            "sending": 0,
            "sent": 0,
            "failed": 0,
            "cancelled": 0,
            "due": 1,
        }
        assert [e.id for e in outbox.by_ids(session, [later_id, now_id])] == [now_id, later_id]
        assert outbox.by_ids(session, []) == []
        assert [e.id for e in outbox.entries(session, state="queued")] == [now_id, later_id]
        assert outbox.entries(session, state="sent") == []
        assert outbox.get(session, 12345) is None
        assert "sealed_message" not in repr(outbox.get(session, now_id))

"""Cancelling unsent messages by id or tag, and a worker that claimed one before."""

from __future__ import annotations

import asyncio

from sqlalchemy.orm import Session, sessionmaker

from mailer import dispatcher, outbox_cancel
from mailer.capture import smtp_server
from mailer.dispatcher import DispatchSummary
from tests.integration.mailer.support import (
    AesGcmSealer,
    Gate,
    Recorder,
    config_for,
    entry,
    queue,
)
from tests.support.clock import Clock

Sessions = sessionmaker[Session]


def test_cancel_by_id_and_tag_stops_only_unsent_messages_and_drops_their_bodies(
    sessions: Sessions,
    sealer: AesGcmSealer,
    clock: Clock,
    recorder: Recorder,
    server_port: int,
) -> None:
    sent = queue(sessions, sealer, clock(), "document:delivery-7:link-1")
    asyncio.run(dispatcher.run(sessions, config_for(server_port), sealer, once=True, clock=clock))
    tagged = queue(sessions, sealer, clock(), "document:delivery-7:link-2")
    reminder = queue(sessions, sealer, clock(), "reminder:delivery-7:2027-04-02")
    by_id = queue(sessions, sealer, clock(), "unlock:delivery-7")
    other = queue(sessions, sealer, clock(), "document:delivery-70:link-3")  # not a prefix match
    percent = queue(sessions, sealer, clock(), "reminder:delivery-8:2027-04-02")

    with sessions.begin() as session:
        cancelled = outbox_cancel.cancel(
            session,
            ids=[by_id, sent],
            key_prefixes=["document:delivery-7:", "reminder:delivery-7:", "reminder:delivery-%"],
            reason="no longer wanted",
            now=clock(),
        )

    assert [c.id for c in cancelled] == [tagged, reminder, by_id]
    for entry_id in (tagged, reminder, by_id):
        row = entry(sessions, entry_id)
        assert (row.state, row.has_body) == ("cancelled", False)
        assert row.last_error is not None and row.last_error.endswith("no longer wanted")
    assert entry(sessions, sent).state == "sent"
    assert entry(sessions, other).state == entry(sessions, percent).state == "queued"
    with sessions.begin() as session:  # a second cancel finds nothing more
        again = outbox_cancel.cancel(session, ids=[by_id], reason="again", now=clock())
        assert again == []
        assert outbox_cancel.count_cancelled(session, key_prefixes=["document:delivery-7:"]) == 1

    asyncio.run(dispatcher.run(sessions, config_for(server_port), sealer, once=True, clock=clock))
    assert len(recorder.received) == 3  # the first, then only the two not cancelled


def test_a_message_cancelled_after_its_claim_is_not_sent(
    sessions: Sessions, sealer: AesGcmSealer, clock: Clock
) -> None:
    first = queue(sessions, sealer, clock(), "k1", to="ann@provider.example.org")
    second = queue(sessions, sealer, clock(), "k2", to="bob@provider.example.org")
    gate = Gate()
    with smtp_server(gate) as server:
        config = config_for(server.port, connections=1, batch_size=2)

        async def scenario() -> DispatchSummary:
            running = asyncio.create_task(
                dispatcher.run(sessions, config, sealer, once=True, clock=clock)
            )
            assert await asyncio.to_thread(gate.entered.wait, 30)
            # Both are claimed by now; the second is cancelled while the first is sent.
            assert entry(sessions, second).state == "sending"

            def cancel_second() -> None:
                with sessions.begin() as session:
                    outbox_cancel.cancel(session, ids=[second], reason="revoked", now=clock())

            await asyncio.to_thread(cancel_second)
            gate.release.set()
            return await running

        summary = asyncio.run(scenario())

    assert summary == DispatchSummary(sent=1, withdrawn=1)
    assert [r.rcpt_tos for r in gate.received] == [["ann@provider.example.org"]]
    assert entry(sessions, first).state == "sent"
    assert entry(sessions, second).state == "cancelled"


def test_a_withdrawn_message_gets_no_data_and_the_next_one_still_goes(
    sessions: Sessions, sealer: AesGcmSealer, clock: Clock
) -> None:
    """The check answers while the envelope goes: a withdrawn message's envelope is
    reset, and the same connection goes on with the next message."""
    first = queue(sessions, sealer, clock(), "k1", to="ann@provider.example.org")
    second = queue(sessions, sealer, clock(), "k2", to="bob@provider.example.org")
    third = queue(sessions, sealer, clock(), "k3", to="cat@provider.example.org")
    gate = Gate()
    with smtp_server(gate) as server:
        config = config_for(server.port, connections=1, batch_size=3)

        async def scenario() -> DispatchSummary:
            running = asyncio.create_task(
                dispatcher.run(sessions, config, sealer, once=True, clock=clock)
            )
            assert await asyncio.to_thread(gate.entered.wait, 30)

            def cancel_second() -> None:
                with sessions.begin() as session:
                    outbox_cancel.cancel(session, ids=[second], reason="revoked", now=clock())

            await asyncio.to_thread(cancel_second)
            gate.release.set()
            return await running

        summary = asyncio.run(scenario())

    assert summary == DispatchSummary(sent=2, withdrawn=1)
    assert [r.rcpt_tos for r in gate.received] == [
        ["ann@provider.example.org"],
        ["cat@provider.example.org"],
    ]
    assert [entry(sessions, i).state for i in (first, second, third)] == [
        "sent",
        "cancelled",
        "sent",
    ]

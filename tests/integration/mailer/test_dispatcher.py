from __future__ import annotations

import asyncio
import threading
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from codeservice.storage.db import make_engine
from mailer import claims, dispatcher, outbox
from mailer.capture import smtp_server
from mailer.dispatcher import DispatchSummary, Outcome
from mailer.schema import outbox as outbox_table
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


def test_a_queued_message_is_delivered_once_and_its_body_dropped(
    sessions: Sessions,
    sealer: AesGcmSealer,
    clock: Clock,
    recorder: Recorder,
    server_port: int,
) -> None:
    entry_id = queue(sessions, sealer, clock(), to="Ann <ann@provider.example.org>")
    summary = asyncio.run(
        dispatcher.run(sessions, config_for(server_port), sealer, once=True, clock=clock)
    )
    assert summary == DispatchSummary(sent=1)
    [received] = recorder.received
    sent = entry(sessions, entry_id)
    assert received.mail_from == "bmt@example.gov.uk"
    assert received.rcpt_tos == ["ann@provider.example.org"]
    assert received.message["Message-ID"] == sent.message_id
    assert received.message["From"] == "Provider Direct BMT <bmt@example.gov.uk>"
    assert (sent.state, sent.attempts, sent.sent_at, sent.has_body) == ("sent", 1, clock(), False)
    assert sent.smtp_response == "2.0.0 Ok: queued as TEST1"
    again = asyncio.run(
        dispatcher.run(sessions, config_for(server_port), sealer, once=True, clock=clock)
    )
    assert again == DispatchSummary() and len(recorder.received) == 1


def test_a_message_queued_for_later_waits_for_its_time(
    sessions: Sessions,
    sealer: AesGcmSealer,
    clock: Clock,
    recorder: Recorder,
    server_port: int,
) -> None:
    queue(sessions, sealer, clock(), due_at=clock() + timedelta(minutes=10))
    config = config_for(server_port)
    assert asyncio.run(dispatcher.run(sessions, config, sealer, once=True, clock=clock)).sent == 0
    clock.advance(minutes=10)
    assert asyncio.run(dispatcher.run(sessions, config, sealer, once=True, clock=clock)).sent == 1
    assert len(recorder.received) == 1


def test_connections_are_reused_for_several_messages(
    sessions: Sessions, sealer: AesGcmSealer, clock: Clock
) -> None:
    sessions_seen: set[int] = set()

    class CountingSessions(Recorder):
        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
            sessions_seen.add(id(session))
            return await super().handle_DATA(server, session, envelope)

    counting = CountingSessions()
    for n in range(12):
        queue(sessions, sealer, clock(), f"k{n}")
    with smtp_server(counting) as server:
        summary = asyncio.run(
            dispatcher.run(
                sessions, config_for(server.port, connections=3), sealer, once=True, clock=clock
            )
        )
    assert summary.sent == 12 and len(counting.received) == 12
    assert 1 <= len(sessions_seen) <= 3


def test_two_dispatchers_never_send_a_message_twice(
    database_url: str,
    sessions: Sessions,
    sealer: AesGcmSealer,
    clock: Clock,
    recorder: Recorder,
    server_port: int,
) -> None:
    ids = [queue(sessions, sealer, clock(), f"k{n}", to=f"s{n}@p.example.org") for n in range(40)]
    config = config_for(server_port, connections=3, batch_size=2)
    summaries: list[DispatchSummary] = []

    def worker(name: str) -> None:
        engine = make_engine(database_url)  # each thread its own engine and sessions
        try:
            summaries.append(
                asyncio.run(
                    dispatcher.run(engine, config, sealer, worker_id=name, once=True, clock=clock)
                )
            )
        finally:
            engine.dispose()

    threads = [threading.Thread(target=worker, args=(f"worker-{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert len(summaries) == 2
    assert sum(s.sent for s in summaries) == 40
    assert sum(s.lost_claims for s in summaries) == 0
    received = recorder.message_ids()
    assert len(received) == 40 and len(set(received)) == 40
    assert sorted(received) == sorted(entry(sessions, i).message_id for i in ids)


def test_two_dispatchers_in_one_event_loop_never_send_a_message_twice(
    sessions: Sessions,
    sealer: AesGcmSealer,
    clock: Clock,
    recorder: Recorder,
    server_port: int,
) -> None:
    for n in range(20):
        queue(sessions, sealer, clock(), f"k{n}")
    config = config_for(server_port, connections=2, batch_size=1)

    async def both() -> list[DispatchSummary]:
        return list(
            await asyncio.gather(
                *(
                    dispatcher.run(sessions, config, sealer, worker_id=w, once=True, clock=clock)
                    for w in ("a", "b")
                )
            )
        )

    summaries = asyncio.run(both())
    assert sum(s.sent for s in summaries) == 20
    assert len(recorder.received) == 20 == len(set(recorder.message_ids()))


def test_a_dead_workers_claim_is_resent_once_it_expires(
    sessions: Sessions,
    sealer: AesGcmSealer,
    clock: Clock,
    recorder: Recorder,
    server_port: int,
) -> None:
    entry_id = queue(sessions, sealer, clock())
    with sessions.begin() as session:  # a worker claims it, then dies
        claims.claim_due(session, worker_id="dead", now=clock(), claim_seconds=300, limit=10)
    config = config_for(server_port, claim_seconds=300)
    clock.advance(seconds=299)
    assert asyncio.run(dispatcher.run(sessions, config, sealer, once=True, clock=clock)).sent == 0
    clock.advance(seconds=2)
    assert asyncio.run(dispatcher.run(sessions, config, sealer, once=True, clock=clock)).sent == 1
    found = entry(sessions, entry_id)
    assert (found.state, found.attempts) == ("sent", 2)
    assert found.claimed_by != "dead"
    assert len(recorder.received) == 1


def test_rows_left_sending_with_an_expired_claim_are_resent(
    sessions: Sessions,
    sealer: AesGcmSealer,
    clock: Clock,
    recorder: Recorder,
    server_port: int,
) -> None:
    ids = [queue(sessions, sealer, clock(), f"k{n}") for n in range(3)]
    with sessions.begin() as session:
        session.execute(
            update(outbox_table)
            .where(outbox_table.c.id.in_(ids))
            .values(
                state="sending",
                claimed_by="crashed-host:123",
                claim_expires_at=clock() - timedelta(seconds=1),
                attempts=1,
            )
        )
    summary = asyncio.run(
        dispatcher.run(sessions, config_for(server_port), sealer, once=True, clock=clock)
    )
    assert summary.sent == 3 and len(recorder.received) == 3
    assert {entry(sessions, i).state for i in ids} == {"sent"}


def test_on_stop_the_message_in_hand_is_finished_and_the_rest_handed_back(
    sessions: Sessions, sealer: AesGcmSealer, clock: Clock
) -> None:
    ids = [queue(sessions, sealer, clock(), f"k{n}") for n in range(3)]
    gate = Gate()
    with smtp_server(gate) as server:
        config = config_for(server.port, connections=1, batch_size=3)

        async def scenario() -> DispatchSummary:
            stop = asyncio.Event()
            running = asyncio.create_task(
                dispatcher.run(sessions, config, sealer, stop=stop, clock=clock)
            )
            assert await asyncio.to_thread(gate.entered.wait, 30)
            stop.set()  # as the CLI does on SIGTERM
            gate.release.set()
            return await running

        summary = asyncio.run(scenario())
    assert summary.sent == 1 and summary.released == 2
    assert len(gate.received) == 1
    states = sorted((entry(sessions, i).state, entry(sessions, i).attempts) for i in ids)
    assert states == [("queued", 0), ("queued", 0), ("sent", 1)]


def test_a_running_dispatcher_picks_up_new_messages_until_stopped(
    sessions: Sessions,
    sealer: AesGcmSealer,
    clock: Clock,
    recorder: Recorder,
    server_port: int,
) -> None:
    async def scenario() -> DispatchSummary:
        stop = asyncio.Event()
        running = asyncio.create_task(
            dispatcher.run(sessions, config_for(server_port), sealer, stop=stop, clock=clock)
        )
        await asyncio.sleep(0.2)  # it is polling an empty outbox now
        await asyncio.to_thread(queue, sessions, sealer, clock(), "late")
        for _ in range(600):
            if recorder.received:
                break
            await asyncio.sleep(0.05)
        stop.set()
        return await running

    summary = asyncio.run(scenario())
    assert summary.sent == 1 and len(recorder.received) == 1


def test_each_outcome_is_reported_in_the_same_transaction(
    sessions: Sessions,
    sealer: AesGcmSealer,
    clock: Clock,
    recorder: Recorder,
    server_port: int,
) -> None:
    entry_id = queue(sessions, sealer, clock(), category="unlock-code")
    seen: list[Outcome] = []

    def on_outcomes(session: Session, outcomes: list[Outcome]) -> None:
        for outcome in outcomes:
            assert outbox.get(session, outcome.entry.id).state == outcome.state  # type: ignore[union-attr]
        seen.extend(outcomes)

    asyncio.run(
        dispatcher.run(
            sessions,
            config_for(server_port),
            sealer,
            once=True,
            clock=clock,
            on_outcomes=on_outcomes,
        )
    )
    [outcome] = seen
    assert (outcome.entry.id, outcome.entry.category, outcome.state, outcome.at) == (
        entry_id,
        "unlock-code",
        "sent",
        clock(),
    )
    assert outcome.detail == "2.0.0 Ok: queued as TEST1"


def test_a_message_that_cannot_be_opened_fails_without_being_sent(
    sessions: Sessions,
    sealer: AesGcmSealer,
    clock: Clock,
    recorder: Recorder,
    server_port: int,
) -> None:
    entry_id = queue(sessions, sealer, clock())
    other_key = AesGcmSealer()
    summary = asyncio.run(
        dispatcher.run(sessions, config_for(server_port), other_key, once=True, clock=clock)
    )
    assert summary == DispatchSummary(failed=1) and recorder.received == []
    found = entry(sessions, entry_id)
    assert (found.state, found.last_error) == (
        "failed",
        "cannot open the stored message: InvalidTag",
    )

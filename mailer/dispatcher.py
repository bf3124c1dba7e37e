"""The dispatcher: claims due messages from the outbox and sends them over SMTP.

One claimer task claims batches (``batch_size``) and feeds a queue that holds at most
one batch, so the next batch is claimed while the current one is sent; one task per
connection (a *lane*) takes messages from that queue and sends each one's stored bytes
as they are. What happened is recorded in batches (``mailer.recording``).

Delivery is at least once. A message is marked sent only after the server accepted
it; if the process dies between the server's acceptance and the commit of the batch
that records it, the claim expires after ``claim_seconds`` and a worker sends the
message again, with the same Message-ID (so receiving systems can recognise the copy).
That window is the only way a message goes twice; no message is ever lost. Just before
sending, each claim is checked again (the checks of all lanes waiting at that moment
in one query, answered while the message's MAIL FROM and RCPT TO go), so a message
cancelled after it was claimed (its code revoked meanwhile) is not sent: the server
gets no DATA for it and its envelope is reset.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import secrets
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from mailer import claims, outbox
from mailer.batching import Batcher
from mailer.config import SmtpConfig
from mailer.entry import OutboxEntry
from mailer.recording import (
    Attempt,
    DispatchSummary,
    Outcome,
    OutcomeHook,
    Recording,
    Result,
    tally,
)
from mailer.sealer import Sealer
from mailer.sending import send_one
from mailer.smtp import Lane, SmtpConfigurationError

__all__ = ["DispatchSummary", "Outcome", "OutcomeHook", "default_worker_id", "run"]

log = logging.getLogger(__name__)
T = TypeVar("T")
Clock = Callable[[], datetime]
_RECORD_LIMIT = 500  # attempts written in one transaction at most
# A lane waits this long at most for others to check their claims in the same query.
_CHECK_PATIENCE_SECONDS = 0.005
# Outcomes are written as soon as the previous write is done (group commit), waiting
# this long at most for one per connection: a message accepted by the server is
# recorded within one commit's time and this, which keeps the at-least-once window to
# the messages accepted meanwhile. Without the wait most writes held 1-3 outcomes, and
# a write's fixed cost (its transaction, the audit chain's head and anchor) was most of
# the worker's database CPU.
_RECORD_PATIENCE_SECONDS = 0.005


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def _utc_now() -> datetime:
    return datetime.now(UTC)


async def run(
    database: Engine | sessionmaker[Session],
    config: SmtpConfig,
    sealer: Sealer,
    *,
    worker_id: str | None = None,
    once: bool = False,
    stop: asyncio.Event | None = None,
    clock: Clock = _utc_now,
    rng: random.Random | None = None,
    on_outcomes: OutcomeHook | None = None,
    reader: sessionmaker[Session] | None = None,
    counted: bool = True,
) -> DispatchSummary:
    """Send due messages until ``stop`` is set, or (``once``) until nothing is due.

    ``once`` never waits for a backoff: a retry whose due time has not come stays
    queued for a later run. On ``stop`` no more messages are claimed; the messages in
    hand are finished and the rest of the claimed ones are handed back. Raises
    ``SmtpConfigurationError`` (after handing its claims back) when the server refuses
    the configured login or encryption. ``reader``, if given, makes the sessions for
    the checks just before sending, which only read (on SQLite, a reader's sessions
    need not wait for the write lock). ``counted``: the send times and the servers'
    answers go to the metrics (``mailer.metrics``); a process whose metrics no one can
    read leaves it off, and does not load prometheus-client for them.
    """
    sessions = database if isinstance(database, sessionmaker) else sessionmaker(database)
    worker = worker_id or default_worker_id()
    recording = Recording(
        worker_id=worker,
        max_attempts=config.max_attempts,
        rng=rng or random.Random(),  # noqa: S311 (jitter, not secrecy)
        on_outcomes=on_outcomes,
    )
    dispatcher = _Dispatcher(
        sessions,
        reader or sessions,
        config,
        sealer,
        recording,
        stop=stop or asyncio.Event(),
        clock=clock,
        counted=counted,
    )
    return await dispatcher.run(once=once)


class _Dispatcher:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        reader: sessionmaker[Session],
        config: SmtpConfig,
        sealer: Sealer,
        recording: Recording,
        *,
        stop: asyncio.Event,
        clock: Clock,
        counted: bool = True,
    ) -> None:
        self.sessions = sessions
        self.reader = reader
        self.config = config
        self.sealer = sealer
        self.worker_id = recording.worker_id
        self.stop = stop
        self.clock = clock
        self.counted = counted
        self.summary = DispatchSummary()
        self.fatal: SmtpConfigurationError | None = None
        self.broken: Exception | None = None  # recording failed (the database gone)
        self.queue: asyncio.Queue[OutboxEntry | None] = asyncio.Queue(config.claim_batch)
        self.unsent: list[int] = []  # claimed, never attempted: handed back at the end
        self.recording = recording
        self.checks = Batcher(
            self.still_held,
            limit=config.connections,
            enough=config.connections,
            patience=_CHECK_PATIENCE_SECONDS,
        )
        self.records = Batcher(
            self.write,
            limit=_RECORD_LIMIT,
            enough=config.connections,
            patience=_RECORD_PATIENCE_SECONDS,
        )

    def halting(self) -> bool:
        return self.fatal is not None or self.broken is not None or self.stop.is_set()

    def still_held(self, entry_ids: list[int]) -> list[bool]:
        """In a worker thread: which claims still hold, just before sending."""
        with self.reader.begin() as session:
            held = claims.still_held(session, entry_ids, self.worker_id)
        return [entry_id in held for entry_id in entry_ids]

    def write(self, attempts: list[Attempt]) -> list[str | None]:
        """In a worker thread: one batch of attempts recorded, in one transaction."""
        with self.sessions.begin() as session:
            return self.recording.write(session, attempts)

    async def db(self, work: Callable[[Session], T]) -> T:
        def in_transaction() -> T:
            with self.sessions.begin() as session:
                return work(session)

        return await asyncio.to_thread(in_transaction)

    async def run(self, *, once: bool) -> DispatchSummary:
        lanes = [Lane(self.config, counted=self.counted) for _ in range(self.config.connections)]
        log.info("mail dispatcher %s started", self.worker_id)
        tasks = [asyncio.create_task(self.claim(once, len(lanes)))]
        tasks += [asyncio.create_task(self.drive(lane)) for lane in lanes]
        try:
            await asyncio.gather(*tasks)
        except BaseException:
            # Something unforeseen (the database gone): stop the other tasks and let the
            # error out as it is. Their claims expire and the messages go later.
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        finally:
            await asyncio.gather(*(lane.close() for lane in lanes), return_exceptions=True)
            await self.records.drain()
        while not self.queue.empty():
            entry = self.queue.get_nowait()
            if entry is not None:
                self.unsent.append(entry.id)
        if self.unsent:
            await self.release(self.unsent)
        log.info("mail dispatcher %s stopped: %s", self.worker_id, self.summary)
        if self.broken is not None:
            raise self.broken
        if self.fatal is not None:
            raise self.fatal
        return self.summary

    async def claim(self, once: bool, lanes: int) -> None:
        """Claim batches while the lanes send, one batch ahead; then tell the lanes."""
        while not self.halting():
            batch = await self.db(
                lambda session: claims.claim_due(
                    session,
                    worker_id=self.worker_id,
                    now=self.clock(),
                    claim_seconds=self.config.claim_seconds,
                    limit=self.config.claim_batch,
                )
            )
            for entry in batch:
                await self.queue.put(entry)
            if not batch:
                if once:
                    break
                await self.pause()
        for _ in range(lanes):
            await self.queue.put(None)

    async def pause(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stop.wait(), timeout=self.config.poll_seconds)

    async def drive(self, lane: Lane) -> None:
        while (entry := await self.queue.get()) is not None:
            if self.halting():
                self.unsent.append(entry.id)
            else:
                await self.deliver_one(lane, entry)

    async def release(self, ids: list[int]) -> None:
        count = await self.db(lambda session: claims.release(session, ids, self.worker_id))
        self.summary.released += count
        log.info(
            "handed %d claimed %s back to the queue", count, "message" if count == 1 else "messages"
        )

    async def deliver_one(self, lane: Lane, entry: OutboxEntry) -> None:
        if entry.claim_expires_at is not None and entry.claim_expires_at <= self.clock():
            # Another worker may own it by now; sending could make a second copy.
            log.warning("claim on outbox message %s expired before sending", entry.id)
            return
        # The claim is checked once more while the envelope goes; no DATA unless it holds.
        still_held = self.checks.submit(entry.id)
        try:
            data = outbox.open_bytes(entry, self.sealer, default_from=self.config.mail_from)
        except Exception as exc:  # a key that cannot open it: no retry will help
            if await still_held:
                error = f"cannot open the stored message: {type(exc).__name__}"
                self.record(entry, Result.FAILED, error)
            else:
                self.withdrawn(entry)
            return
        try:
            outcome = await send_one(lane, entry, data, still_held)
        except SmtpConfigurationError as exc:
            self.fatal = exc
            self.unsent.append(entry.id)
            return
        if outcome is None:
            self.withdrawn(entry)
        else:
            self.record(entry, *outcome)

    def withdrawn(self, entry: OutboxEntry) -> None:
        # Cancelled since the claim (say, its code was revoked): it did not go.
        self.summary.withdrawn += 1
        log.info("outbox message %s was withdrawn before sending; not sent", entry.id)

    def record(self, entry: OutboxEntry, result: Result, detail: str) -> None:
        """Hand the attempt to the batched recording; the lane goes on meanwhile."""
        attempt = Attempt(entry, result, detail, self.clock())
        self.records.submit(attempt).add_done_callback(partial(self.recorded, attempt))

    def recorded(self, attempt: Attempt, future: asyncio.Future[str | None]) -> None:
        if future.cancelled():
            return
        if (error := future.exception()) is not None:
            if self.broken is None and isinstance(error, Exception):
                self.broken = error
            return
        tally(self.summary, attempt, future.result())

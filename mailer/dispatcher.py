"""The dispatcher: claims due messages from the outbox and sends them over SMTP.

Delivery is at least once. A message is marked sent only after the server accepted
it; if the process dies between the server's acceptance and that mark, the claim
expires after ``claim_seconds`` and another worker sends the message again, with the
same Message-ID (so receiving systems can recognise the copy). That window — from the
end of DATA to the commit of ``mark_sent`` — is the only way a message goes twice;
no message is ever lost. Just before sending, the claim is checked again, so a
message cancelled after it was claimed (its code revoked meanwhile) is not sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import secrets
import socket
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from mailer import outbox, outbox_cancel
from mailer.config import SmtpConfig
from mailer.entry import OutboxEntry
from mailer.schema import FAILED, QUEUED, SENT
from mailer.sealer import Sealer
from mailer.smtp import Lane, SmtpConfigurationError, Verdict, classify, describe, smtp_code

log = logging.getLogger(__name__)
T = TypeVar("T")
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Outcome:
    """What happened to one message; handed to ``on_outcome`` in the same transaction."""

    entry: OutboxEntry  # as claimed, before the change
    state: str  # sent, queued (retry) or failed
    detail: str  # the server's answer, or the error
    at: datetime


OutcomeHook = Callable[[Session, Outcome], None]


@dataclass
class DispatchSummary:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    released: int = 0  # claimed but handed back unsent at shutdown
    lost_claims: int = 0  # another worker took the message over while we sent it
    withdrawn: int = 0  # cancelled (or taken over) after it was claimed: not sent


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
    on_outcome: OutcomeHook | None = None,
) -> DispatchSummary:
    """Send due messages until ``stop`` is set, or (``once``) until nothing is due.

    ``once`` never waits for a backoff: a retry whose due time has not come stays
    queued for a later run. On ``stop`` no more messages are claimed; the messages in
    hand are finished and the rest of the batch is handed back. Raises
    ``SmtpConfigurationError`` (after handing its claims back) when the server refuses
    the configured login or encryption.
    """
    sessions = database if isinstance(database, sessionmaker) else sessionmaker(database)
    dispatcher = _Dispatcher(
        sessions,
        config,
        sealer,
        worker_id=worker_id or default_worker_id(),
        stop=stop or asyncio.Event(),
        clock=clock,
        rng=rng or random.Random(),  # noqa: S311 (jitter, not secrecy)
        on_outcome=on_outcome,
    )
    return await dispatcher.run(once=once)


class _Dispatcher:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        config: SmtpConfig,
        sealer: Sealer,
        *,
        worker_id: str,
        stop: asyncio.Event,
        clock: Clock,
        rng: random.Random,
        on_outcome: OutcomeHook | None,
    ) -> None:
        self.sessions = sessions
        self.config = config
        self.sealer = sealer
        self.worker_id = worker_id
        self.stop = stop
        self.clock = clock
        self.rng = rng
        self.on_outcome = on_outcome
        self.summary = DispatchSummary()
        self.fatal: SmtpConfigurationError | None = None

    def halting(self) -> bool:
        return self.fatal is not None or self.stop.is_set()

    async def db(self, work: Callable[[Session], T]) -> T:
        def in_transaction() -> T:
            with self.sessions.begin() as session:
                return work(session)

        return await asyncio.to_thread(in_transaction)

    async def run(self, *, once: bool) -> DispatchSummary:
        lanes = [Lane(self.config) for _ in range(self.config.connections)]
        log.info("mail dispatcher %s started", self.worker_id)
        try:
            while not self.halting():
                batch = await self.db(
                    lambda session: outbox.claim_due(
                        session,
                        worker_id=self.worker_id,
                        now=self.clock(),
                        claim_seconds=self.config.claim_seconds,
                        limit=self.config.claim_batch,
                    )
                )
                if batch:
                    await self.deliver(batch, lanes)
                elif once:
                    break
                else:
                    await self.pause()
        finally:
            await asyncio.gather(*(lane.close() for lane in lanes), return_exceptions=True)
        log.info("mail dispatcher %s stopped: %s", self.worker_id, self.summary)
        if self.fatal is not None:
            raise self.fatal
        return self.summary

    async def pause(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stop.wait(), timeout=self.config.poll_seconds)

    async def deliver(self, batch: list[OutboxEntry], lanes: list[Lane]) -> None:
        pending = deque(batch)

        async def drive(lane: Lane) -> None:
            while pending and not self.halting():
                await self.deliver_one(lane, pending.popleft())

        tasks = [asyncio.create_task(drive(lane)) for lane in lanes[: len(batch)]]
        try:
            await asyncio.gather(*tasks)
        except BaseException:
            # Something unforeseen (the database gone): stop the other lanes and let the
            # error out as it is. Their claims expire and the messages go later.
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        if pending:
            await self.release([entry.id for entry in pending])

    async def release(self, ids: list[int]) -> None:
        count = await self.db(lambda session: outbox.release(session, ids, self.worker_id))
        self.summary.released += count
        log.info(
            "handed %d claimed %s back to the queue", count, "message" if count == 1 else "messages"
        )

    async def deliver_one(self, lane: Lane, entry: OutboxEntry) -> None:
        if entry.claim_expires_at is not None and entry.claim_expires_at <= self.clock():
            # Another worker may own it by now; sending could make a second copy.
            log.warning("claim on outbox message %s expired before sending", entry.id)
            return
        if not await self.db(
            lambda session: outbox_cancel.still_claimed(session, entry.id, self.worker_id)
        ):
            # Cancelled since the claim (say, its code was revoked): it must not go.
            self.summary.withdrawn += 1
            log.info("outbox message %s was withdrawn before sending; not sent", entry.id)
            return
        try:
            message = outbox.open_message(entry, self.sealer)
        except Exception as exc:  # a key that cannot open it: no retry will help
            await self.failed(entry, f"cannot open the stored message: {type(exc).__name__}")
            return
        if message["From"] is None:
            message["From"] = self.config.mail_from
        try:
            refused, answer = await lane.send(message, entry.recipients)
        except SmtpConfigurationError as exc:
            self.fatal = exc
            await self.release([entry.id])
            return
        except Exception as exc:
            code = smtp_code(exc)
            if classify(exc) is Verdict.PERMANENT:
                log.warning(
                    "outbox message %s (%s) to %s refused for good: SMTP %s",
                    entry.id,
                    entry.category,
                    _domains(entry),
                    code,
                )
                await self.failed(entry, describe(exc))
            else:
                log.info(
                    "outbox message %s (%s) to %s failed for now: %s (SMTP %s)",
                    entry.id,
                    entry.category,
                    _domains(entry),
                    type(exc).__name__,
                    code,
                )
                await self.retry(entry, describe(exc))
            return
        if refused:
            answer += "; refused: " + "; ".join(
                f"{address}: {reply.code} {reply.message}" for address, reply in refused.items()
            )
        await self.sent(entry, answer)

    async def sent(self, entry: OutboxEntry, answer: str) -> None:
        now = self.clock()

        def record(session: Session) -> bool:
            done = outbox.mark_sent(
                session, entry.id, self.worker_id, smtp_response=answer, now=now
            )
            if done:
                self.notify(session, Outcome(entry, SENT, answer, now))
            return done

        if await self.db(record):
            self.summary.sent += 1
            log.info(
                "sent outbox message %s (%s) %s to %s",
                entry.id,
                entry.category,
                entry.message_id,
                _domains(entry),
            )
        else:
            self.summary.lost_claims += 1
            log.warning("outbox message %s was sent but its claim had passed on", entry.id)

    async def retry(self, entry: OutboxEntry, error: str) -> None:
        now = self.clock()

        def record(session: Session) -> str | None:
            state = outbox.mark_retry(
                session,
                entry.id,
                self.worker_id,
                error=error,
                now=now,
                rng=self.rng,
                max_attempts=self.config.max_attempts,
            )
            if state is not None:
                self.notify(session, Outcome(entry, state, error, now))
            return state

        state = await self.db(record)
        if state == QUEUED:
            self.summary.retrying += 1
        elif state == FAILED:
            self.summary.failed += 1
        else:
            self.summary.lost_claims += 1

    async def failed(self, entry: OutboxEntry, error: str) -> None:
        now = self.clock()

        def record(session: Session) -> bool:
            done = outbox.mark_failed(session, entry.id, self.worker_id, error=error, now=now)
            if done:
                self.notify(session, Outcome(entry, FAILED, error, now))
            return done

        if await self.db(record):
            self.summary.failed += 1
        else:
            self.summary.lost_claims += 1

    def notify(self, session: Session, outcome: Outcome) -> None:
        if self.on_outcome is not None:
            self.on_outcome(session, outcome)


def _domains(entry: OutboxEntry) -> str:
    return ",".join(entry.recipient_domains)

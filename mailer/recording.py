"""Recording how sending went: a batch of outcomes in one transaction.

The lanes of a dispatcher hand each attempt over (``Attempt``) and go on to the next
message; the attempts that arrive meanwhile are written together (``mailer.batching``):
every message sent in one UPDATE, a retry or a permanent failure each on its own row,
and ``on_outcomes`` (the application's audit, say) called once with the changes, all in
the same transaction. A message whose claim passed on is left alone and reported as such.

This is the at-least-once window: if the process dies after the server accepted
messages and before the write that records them is committed, their claims expire and
they go again, with the same Message-IDs. Writes follow one another with no timer, so
the window is the messages accepted while one write runs.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from mailer import claims
from mailer.entry import OutboxEntry
from mailer.schema import FAILED, QUEUED, SENT

log = logging.getLogger("mailer.dispatcher")  # one logger for the dispatcher's story


@dataclass(frozen=True)
class Outcome:
    """What happened to one message; handed to ``on_outcomes`` in the same transaction."""

    entry: OutboxEntry  # as claimed, before the change
    state: str  # sent, queued (retry) or failed
    detail: str  # the server's answer, or the error
    at: datetime


# Called once per write with the changes it made, in order, in its transaction.
OutcomeHook = Callable[[Session, list[Outcome]], None]


class Result(StrEnum):
    SENT = "sent"  # the server accepted it
    RETRY = "retry"  # a temporary failure
    FAILED = "failed"  # a permanent failure


@dataclass
class DispatchSummary:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    released: int = 0  # claimed but handed back unsent at shutdown
    lost_claims: int = 0  # another worker took the message over while we sent it
    withdrawn: int = 0  # cancelled (or taken over) after it was claimed: not sent


@dataclass(frozen=True)
class Attempt:
    entry: OutboxEntry
    result: Result
    detail: str
    at: datetime


@dataclass(frozen=True)
class Recording:
    """How the outcomes of a dispatcher are written."""

    worker_id: str
    max_attempts: int
    rng: random.Random
    on_outcomes: OutcomeHook | None

    def write(self, session: Session, attempts: list[Attempt]) -> list[str | None]:
        """Record ``attempts``; return each one's new state (None: its claim was lost)."""
        sent = [attempt for attempt in attempts if attempt.result is Result.SENT]
        done = claims.mark_sent_many(
            session,
            self.worker_id,
            {attempt.entry.id: attempt.detail for attempt in sent},
            now=max((attempt.at for attempt in sent), default=attempts[0].at),
        )
        states = [self._one(session, attempt, done) for attempt in attempts]
        if self.on_outcomes is not None:
            outcomes = [
                Outcome(attempt.entry, state, attempt.detail, attempt.at)
                for attempt, state in zip(attempts, states, strict=True)
                if state is not None
            ]
            if outcomes:
                self.on_outcomes(session, outcomes)
        return states

    def _one(self, session: Session, attempt: Attempt, done: set[int]) -> str | None:
        entry_id = attempt.entry.id
        if attempt.result is Result.SENT:
            return SENT if entry_id in done else None
        if attempt.result is Result.RETRY:
            return claims.mark_retry(
                session,
                entry_id,
                self.worker_id,
                error=attempt.detail,
                now=attempt.at,
                rng=self.rng,
                max_attempts=self.max_attempts,
            )
        changed = claims.mark_failed(
            session, entry_id, self.worker_id, error=attempt.detail, now=attempt.at
        )
        return FAILED if changed else None


def tally(summary: DispatchSummary, attempt: Attempt, state: str | None) -> None:
    """Count a recorded attempt in ``summary`` (and log a delivery)."""
    entry = attempt.entry
    if state is None:
        summary.lost_claims += 1
        if attempt.result is Result.SENT:
            log.warning("outbox message %s was sent but its claim had passed on", entry.id)
    elif state == SENT:
        summary.sent += 1
        if log.isEnabledFor(logging.INFO):
            log.info(
                "sent outbox message %s (%s) %s to %s",
                entry.id,
                entry.category,
                entry.message_id,
                domains(entry),
            )
    elif state == QUEUED:
        summary.retrying += 1
    elif state == FAILED:
        summary.failed += 1


def domains(entry: OutboxEntry) -> str:
    """What logs may show of the recipients."""
    return ",".join(entry.recipient_domains)

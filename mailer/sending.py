"""One message over one lane: what the server made of it, as a result to record."""

from __future__ import annotations

import asyncio
import logging

from mailer.entry import OutboxEntry
from mailer.recording import Result, domains
from mailer.smtp import Lane, SmtpConfigurationError, Verdict, classify, describe, smtp_code

log = logging.getLogger("mailer.dispatcher")


async def send_one(
    lane: Lane, entry: OutboxEntry, data: bytes, still_held: asyncio.Future[bool]
) -> tuple[Result, str] | None:
    """Send ``data`` to the entry's recipients: (sent, the server's answer), or a retry
    or a permanent failure with the error; None if ``still_held`` (the check of the
    claim, answered while the envelope goes) says it must not go, and it did not.
    ``SmtpConfigurationError`` goes through: no message can go until an operator
    changes a setting; so does the check's own failure (the database gone)."""
    try:
        sent = await lane.send(data, entry.recipients, still_held)
    except SmtpConfigurationError:
        raise
    except Exception as exc:
        if still_held.done() and not still_held.cancelled() and still_held.exception() is exc:
            raise
        permanent = classify(exc) is Verdict.PERMANENT
        if permanent:
            log.warning(
                "outbox message %s (%s) to %s refused for good: SMTP %s",
                entry.id,
                entry.category,
                domains(entry),
                smtp_code(exc),
            )
        else:
            log.info(
                "outbox message %s (%s) to %s failed for now: %s (SMTP %s)",
                entry.id,
                entry.category,
                domains(entry),
                type(exc).__name__,
                smtp_code(exc),
            )
        return (Result.FAILED if permanent else Result.RETRY), describe(exc)
    if sent is None:
        return None
    refused, answer = sent
    if refused:
        answer += "; refused: " + "; ".join(
            f"{address}: {reply.code} {reply.message}" for address, reply in refused.items()
        )
    return Result.SENT, answer

"""One message over one lane: what the server made of it, as a result to record."""

from __future__ import annotations

import logging

from mailer.entry import OutboxEntry
from mailer.recording import Result, domains
from mailer.smtp import Lane, SmtpConfigurationError, Verdict, classify, describe, smtp_code

log = logging.getLogger("mailer.dispatcher")


async def send_one(lane: Lane, entry: OutboxEntry, data: bytes) -> tuple[Result, str]:
    """Send ``data`` to the entry's recipients: (sent, the server's answer), or a retry
    or a permanent failure with the error. ``SmtpConfigurationError`` goes through:
    no message can go until an operator changes a setting."""
    try:
        refused, answer = await lane.send(data, entry.recipients)
    except SmtpConfigurationError:
        raise
    except Exception as exc:
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
    if refused:
        answer += "; refused: " + "; ".join(
            f"{address}: {reply.code} {reply.message}" for address, reply in refused.items()
        )
    return Result.SENT, answer

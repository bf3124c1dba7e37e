"""The audit side of sending: every email sent, and every one that failed for good."""

from __future__ import annotations

from codeservice.crypto.keyring import Keyring
from codeservice.domain.audit import AuditTag
from codeservice.services.operations import audit
from codeservice.storage.uow import UnitOfWork, joined
from mailer.dispatcher import Outcome, OutcomeHook


def audit_mail_outcomes(keyring: Keyring, worker: str = "mail-worker") -> OutcomeHook:
    """An ``on_outcomes`` hook for the dispatcher: each write's records in one go, in its
    transaction."""

    def on_outcomes(uow: UnitOfWork, outcomes: list[Outcome]) -> None:
        entries = [
            audit.Entry(
                actor=f"system:{worker}",
                action=AuditTag.MAIL_MESSAGE_SEND
                if outcome.state == "sent"
                else AuditTag.MAIL_MESSAGE_FAIL,
                source="smtp",
                details={
                    "message": outcome.entry.id,
                    "category": outcome.entry.category,
                    "recipients": list(outcome.entry.recipients),
                    "message_id": outcome.entry.message_id,
                    "answer": outcome.detail[:200],
                },
                at=outcome.at,
            )
            # A retry is not an event anyone needs to audit; the row keeps the error.
            for outcome in outcomes
            if outcome.state in {"sent", "failed"}
        ]
        if entries:
            audit.record_many(uow, keyring.audit_key, entries, now=outcomes[-1].at)

    return joined(on_outcomes)

"""The audit side of sending: every email sent, and every one that failed for good."""

from __future__ import annotations

from codeservice.crypto.keyring import Keyring
from codeservice.domain.audit import AuditTag
from codeservice.services.operations import audit
from codeservice.storage.uow import UnitOfWork, joined
from mailer.dispatcher import Outcome, OutcomeHook


def audit_mail_outcomes(keyring: Keyring, worker: str = "mail-worker") -> OutcomeHook:
    """An ``on_outcome`` hook for the dispatcher: it writes in the same transaction,
    stamped with the outcome's own time."""

    def on_outcome(uow: UnitOfWork, outcome: Outcome) -> None:
        if outcome.state not in {"sent", "failed"}:
            return  # a retry is not an event anyone needs to audit; the row keeps the error
        audit.event(
            uow,
            keyring,
            AuditTag.MAIL_MESSAGE_SEND if outcome.state == "sent" else AuditTag.MAIL_MESSAGE_FAIL,
            actor=f"system:{worker}",
            source="smtp",
            now=outcome.at,
            message=outcome.entry.id,
            category=outcome.entry.category,
            recipients=list(outcome.entry.recipients),
            message_id=outcome.entry.message_id,
            answer=outcome.detail[:200],
        )

    return joined(on_outcome)

"""How long personal data is kept, and what of an audit record is personal (pure).

Every rule takes ``now``; nothing here reads a clock. A period counts whole calendar
months from the instant that starts it (31 January + 1 month is 28 or 29 February).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from codeservice.domain.audit import AuditTag

REDACTED = "[redacted]"
# A register file uploaded in the browser and never applied is kept this long, then
# dropped (by the next upload, or by the retention purge): it names SPoCs.
REGISTER_UPLOAD_KEPT = timedelta(hours=24)


class RetentionKind(StrEnum):
    """What is purged, each with its own period and clock."""

    MAIL = "mail"  # recipients and SMTP answers of finished messages, from sending
    ACKNOWLEDGEMENTS = "acknowledgements"  # address and user agent, from acknowledging
    REMOVED_SPOCS = "removed-spocs"  # name and address, from removal from the register
    INCIDENTS = "incidents"  # an Annex B description, from the triage decision
    AUDIT = "audit"  # personal fields of audit records (addresses, recipients, names typed)

    @property
    def label(self) -> str:
        return {
            RetentionKind.MAIL: "delivery details of sent mail",
            RetentionKind.ACKNOWLEDGEMENTS: "acknowledgement addresses and user agents",
            RetentionKind.REMOVED_SPOCS: "names and addresses of removed SPoCs",
            RetentionKind.INCIDENTS: "incident descriptions",
            RetentionKind.AUDIT: "personal fields of audit records",
        }[self]


@dataclass(frozen=True)
class RetentionPolicy:
    mail_months: int = 13
    address_months: int = 13
    removed_spoc_months: int = 13
    incident_months: int = 24

    def months(self, kind: RetentionKind) -> int:
        """The period of a kind; audit records go by their own fields (``audit_months``)."""
        return {
            RetentionKind.MAIL: self.mail_months,
            RetentionKind.ACKNOWLEDGEMENTS: self.address_months,
            RetentionKind.REMOVED_SPOCS: self.removed_spoc_months,
            RetentionKind.INCIDENTS: self.incident_months,
            RetentionKind.AUDIT: self.address_months,
        }[kind]

    def cutoff(self, kind: RetentionKind, now: datetime) -> datetime:
        """What started before this instant is past its period at ``now``."""
        return add_months(now, -self.months(kind))

    def audit_months(self, action: str) -> int:
        """A mail record keeps recipients as long as the outbox does; others hold addresses."""
        return self.mail_months if action in MAIL_ACTIONS else self.address_months


def add_months(instant: datetime, months: int) -> datetime:
    """The same day and time ``months`` later (or earlier), on the month's last day if short."""
    index = instant.year * 12 + instant.month - 1 + months
    year, month = divmod(index, 12)
    day = min(instant.day, calendar.monthrange(year, month + 1)[1])
    return instant.replace(year=year, month=month + 1, day=day)


def due_at(started: datetime, months: int) -> datetime:
    """When something whose period began at ``started`` is to go."""
    return add_months(started, months)


# --- audit records -----------------------------------------------------------------

MAIL_ACTIONS = frozenset({AuditTag.MAIL_MESSAGE_SEND.value, AuditTag.MAIL_MESSAGE_FAIL.value})
# The details of these actions that are personal: whom mail went to and what the
# receiving server said (it often repeats the address); a name typed at sign-in.
PERSONAL_DETAILS: dict[str, frozenset[str]] = {
    AuditTag.MAIL_MESSAGE_SEND.value: frozenset({"recipients", "answer"}),
    AuditTag.MAIL_MESSAGE_FAIL.value: frozenset({"recipients", "answer"}),
    AuditTag.STAFF_SESSION_SIGN_IN_FAIL.value: frozenset({"username"}),
    AuditTag.STAFF_SESSION_SIGN_IN_REFUSE.value: frozenset({"username"}),
    AuditTag.STAFF_ACCOUNT_LOCK.value: frozenset({"username"}),
}


def is_address(source: str) -> bool:
    """A client address (IPv4 or IPv6) rather than a word like ``cli`` or ``scheduler``."""
    return "." in source or ":" in source


def redact_record(
    action: str, source: str, details: dict[str, Any]
) -> tuple[str, dict[str, Any]] | None:
    """The record's source and details with personal fields blanked; None if it has none."""
    personal = PERSONAL_DETAILS.get(action, frozenset()) & details.keys()
    if not personal and not is_address(source):
        return None
    kept = {k: (REDACTED if k in personal else v) for k, v in details.items()}
    return (REDACTED if is_address(source) else source), kept


def personal_fields(action: str, source: str, details: dict[str, Any]) -> dict[str, Any]:
    """What ``redact_record`` would blank, as it is (empty if nothing)."""
    keys = sorted(PERSONAL_DETAILS.get(action, frozenset()) & details.keys())
    found: dict[str, Any] = {}
    if is_address(source):
        found["source"] = source
    if keys:
        found["details"] = {k: details[k] for k in keys}
    return found

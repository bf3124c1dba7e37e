"""Audit tags and the hash chain (pure).

Tags are shaped ``subject:object:action`` (after warehouse's event tags). Each record's
hash covers its own content and the previous record's hash, keyed with a secret kept
outside the database, so an edit, a deletion or a reordering breaks the chain at a
place ``audit verify`` can name — and someone with only database access cannot
rebuild a valid chain after tampering.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

GENESIS = "0" * 64
_TAG_SHAPE = re.compile(r"[a-z_]+:[a-z_]+:[a-z_]+")


class AuditTag(StrEnum):
    SYSTEM_DATABASE_INIT = "system:database:init"
    SYSTEM_DATABASE_RESTORE = "system:database:restore"  # a backup restored into this home
    SYSTEM_KEYS_CREATE = "system:keys:create"
    SYSTEM_KEYS_ROTATE = "system:keys:rotate"
    SYSTEM_AUDIT_ANCHOR = "system:audit:anchor"  # an operator anchored the trail
    SYSTEM_SCHEDULER_LEAD = "system:scheduler:lead"
    SYSTEM_SCHEDULER_CATCH_UP = "system:scheduler:catch_up"
    SYSTEM_RETENTION_PURGE = "system:retention:purge"  # counts only, never what went
    REGISTER_IMPORT_APPLY = "register:import:apply"
    REGISTER_PROVIDER_CREATE = "register:provider:create"
    REGISTER_PROVIDER_UPDATE = "register:provider:update"
    REGISTER_PROVIDER_DEACTIVATE = "register:provider:deactivate"
    REGISTER_SPOC_CREATE = "register:spoc:create"
    REGISTER_SPOC_DEACTIVATE = "register:spoc:deactivate"
    REGISTER_SPOC_UPDATE = "register:spoc:update"  # reactivated, or renamed
    CYCLE_ROTATION_START = "cycle:rotation:start"
    CYCLE_ROTATION_FINISH = "cycle:rotation:finish"
    CYCLE_ROTATION_REQUEST = "cycle:rotation:request"
    CYCLE_ACTIVATION_RUN = "cycle:activation:run"
    CODE_ACCESS_ISSUE = "code:access:issue"
    CODE_ACCESS_ISSUE_FAIL = "code:access:issue_fail"  # one provider; the rotation goes on
    CODE_ACCESS_ACTIVATE = "code:access:activate"
    CODE_ACCESS_RETIRE = "code:access:retire"
    CODE_ACCESS_REVOKE = "code:access:revoke"
    CODE_ACCESS_REVEAL = "code:access:reveal"
    CODE_ACCESS_REISSUE = "code:access:reissue"
    CODE_LIST_EXPORT = "code:list:export"
    MAIL_DOCUMENT_QUEUE = "mail:document:queue"
    MAIL_UNLOCK_QUEUE = "mail:unlock:queue"
    MAIL_DOCUMENT_RESEND = "mail:document:resend"
    MAIL_UNLOCK_RESEND = "mail:unlock:resend"
    MAIL_DOCUMENT_NEW_SPOC = "mail:document:new_spoc"  # to a SPoC added after issue day
    MAIL_REMINDER_QUEUE = "mail:reminder:queue"
    MAIL_ESCALATION_QUEUE = "mail:escalation:queue"
    MAIL_SUMMARY_QUEUE = "mail:summary:queue"
    MAIL_NOTICE_QUEUE = "mail:notice:queue"  # a notice to every SPoC (§56): counts only
    MAIL_MESSAGE_SEND = "mail:message:send"
    MAIL_MESSAGE_FAIL = "mail:message:fail"
    MAIL_MESSAGE_CANCEL = "mail:message:cancel"  # unsent mail of a revoked code
    SPOC_RECEIPT_ACKNOWLEDGE = "spoc:receipt:acknowledge"
    SPOC_RECEIPT_REPEAT = "spoc:receipt:repeat"
    SPOC_TOKEN_REJECT = "spoc:token:reject"
    INCIDENT_REPORT_RECEIVE = "incident:report:receive"
    INCIDENT_REPORT_ASSESS = "incident:report:assess"
    INCIDENT_REPORT_DECIDE = "incident:report:decide"
    HELPLINE_CHALLENGE_CREATE = "helpline:challenge:create"
    HELPLINE_CHALLENGE_REFUSE = "helpline:challenge:refuse"
    HELPLINE_CHALLENGE_ANSWER = "helpline:challenge:answer"
    HELPLINE_ANSWER_REJECT = "helpline:answer:reject"
    HELPLINE_VERIFICATION_LOCK = "helpline:verification:lock"
    HELPLINE_VERIFICATION_UNLOCK = "helpline:verification:unlock"
    STAFF_SESSION_SIGN_IN = "staff:session:sign_in"
    STAFF_SESSION_SIGN_IN_FAIL = "staff:session:sign_in_fail"
    STAFF_SESSION_SIGN_IN_REFUSE = "staff:session:sign_in_refuse"
    STAFF_SESSION_SIGN_OUT = "staff:session:sign_out"
    STAFF_ACCOUNT_LOCK = "staff:account:lock"
    STAFF_ACCOUNT_UNLOCK = "staff:account:unlock"
    STAFF_USER_CREATE = "staff:user:create"
    STAFF_USER_DISABLE = "staff:user:disable"
    STAFF_USER_ENABLE = "staff:user:enable"
    STAFF_USER_RESET_PASSWORD = "staff:user:reset_password"
    STAFF_USER_ROLE = "staff:user:role"
    STAFF_USER_EMAIL = "staff:user:email"  # the address itself is not kept
    STAFF_USER_PASSWORD_LINK = "staff:user:password_link"
    STAFF_USER_SET_PASSWORD = "staff:user:set_password"
    STAFF_USER_CHANGE_PASSWORD = "staff:user:change_password"
    STAFF_FACTOR_ENROL = "staff:factor:enrol"  # never the TOTP key or a credential
    STAFF_FACTOR_REMOVE = "staff:factor:remove"
    STAFF_FACTOR_RESET = "staff:factor:reset"  # by an administrator: every factor and code
    STAFF_FACTOR_RECOVERY_CODES = "staff:factor:recovery_codes"  # a new set (counts only)
    STAFF_FACTOR_RECOVERY_USE = "staff:factor:recovery_use"
    API_TOKEN_CREATE = "api:token:create"
    API_TOKEN_REVOKE = "api:token:revoke"


@dataclass(frozen=True)
class AuditEntry:
    """What happened, by whom, from where. ``details`` must never hold a secret."""

    actor: str
    action: str
    source: str
    details: dict[str, Any]

    def __post_init__(self) -> None:
        if not _TAG_SHAPE.fullmatch(self.action):
            raise ValueError(f"audit action {self.action!r} is not shaped subject:object:action")


def canonical_details(details: dict[str, Any]) -> str:
    return json.dumps(
        details, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )


def chain_hash(
    key: bytes,
    *,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    source: str,
    details: str,
    prev_hash: str,
) -> str:
    """HMAC-SHA256 over the record's fields and the previous record's hash."""
    return _mac(key, [seq, at.isoformat(), actor, action, source, details, prev_hash])


def redaction_seal(
    key: bytes,
    *,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    source: str,
    details: str,
    prev_hash: str,
    hash: str,
    redacted_at: datetime,
) -> str:
    """HMAC-SHA256 over a redacted record as it is left, and the hash it was chained by.

    Retention blanks a record's personal fields only after checking them against its
    ``hash``; from then on this seal, under the same key, vouches for what is left, and
    ``hash`` still links the record to its neighbours.
    """
    fields = [seq, at.isoformat(), actor, action, source, details, prev_hash, hash]
    return _mac(key, ["redacted", *fields, redacted_at.isoformat()])


def _mac(key: bytes, fields: list[Any]) -> str:
    """HMAC-SHA256 under ``key`` over ``fields`` as compact JSON: every hash and seal of
    the chain, so their bytes never drift apart."""
    material = json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode()
    return hmac.new(key, material, hashlib.sha256).hexdigest()


# --- version 2: personal fields chained through a salted digest ------------------------

LEGACY, CURRENT = 1, 2  # records written before migration 0004 are version 1


def personal_digest(salt: str, personal: dict[str, Any]) -> str:
    """SHA-256 of a record's personal fields behind a random per-record salt.

    Once retention drops the salt with the fields, the digest (and so the chain) says
    nothing about them, even to someone holding the audit key.
    """
    return hashlib.sha256((salt + canonical_details(personal)).encode()).hexdigest()


def chain_hash_v2(
    key: bytes,
    *,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    source: str,
    details: str,
    personal_hash: str,
    prev_hash: str,
) -> str:
    """``chain_hash`` for version 2: ``source`` and ``details`` are the record's public
    form (personal fields as ``[redacted]``), and ``personal_hash`` stands for the rest."""
    fields = [seq, at.isoformat(), actor, action, source, details, personal_hash, prev_hash]
    return _mac(key, [CURRENT, *fields])

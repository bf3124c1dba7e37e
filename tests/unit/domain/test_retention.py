from __future__ import annotations

from datetime import UTC, datetime

from codeservice.domain.retention import (
    REDACTED,
    RetentionKind,
    RetentionPolicy,
    add_months,
    redact_record,
)


def test_months_are_calendar_months_ending_on_a_short_months_last_day() -> None:
    at = datetime(2025, 1, 31, 10, 0, tzinfo=UTC)
    assert add_months(at, 13) == datetime(2026, 2, 28, 10, 0, tzinfo=UTC)
    assert add_months(at, -11) == datetime(2024, 2, 29, 10, 0, tzinfo=UTC)
    assert add_months(datetime(2025, 12, 1, tzinfo=UTC), 1) == datetime(2026, 1, 1, tzinfo=UTC)


def test_each_kind_has_its_own_period() -> None:
    policy = RetentionPolicy(mail_months=6, incident_months=24)
    now = datetime(2027, 6, 15, tzinfo=UTC)
    assert policy.cutoff(RetentionKind.MAIL, now) == datetime(2026, 12, 15, tzinfo=UTC)
    assert policy.cutoff(RetentionKind.INCIDENTS, now) == datetime(2025, 6, 15, tzinfo=UTC)
    assert policy.audit_months("mail:message:send") == 6
    assert policy.audit_months("staff:session:sign_in") == 13


def test_only_personal_fields_are_redacted() -> None:
    assert redact_record(
        "mail:message:send",
        "smtp",
        {"message": 4, "recipients": ["ann@example.org"], "answer": "250 ok ann@example.org"},
    ) == ("smtp", {"message": 4, "recipients": REDACTED, "answer": REDACTED})
    assert redact_record(
        "staff:session:sign_in_fail", "2001:db8::1", {"username": "ann", "reason": "password"}
    ) == (REDACTED, {"username": REDACTED, "reason": "password"})
    assert redact_record("staff:user:create", "192.0.2.1", {"username": "ann"}) == (
        REDACTED,
        {"username": "ann"},  # an account's name is not what was typed at sign-in
    )
    assert redact_record("cycle:rotation:start", "scheduler", {"cycle": "2027-04"}) is None

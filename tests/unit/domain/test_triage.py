"""Triage (domain.triage): the steps, a final decision, its reason, the waiting time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from codeservice.domain.triage import (
    TriageConflict,
    TriageState,
    check_decision_reason,
    check_transition,
    parse_decision,
    steps_to,
    waiting_text,
    waiting_time,
)
from codeservice.errors import InputError


def test_triage_goes_received_assessed_then_a_final_decision() -> None:
    check_transition("INC-2027-0001", TriageState.RECEIVED, TriageState.ASSESSED)
    check_transition("INC-2027-0001", TriageState.ASSESSED, TriageState.REISSUE)
    check_transition("INC-2027-0001", TriageState.ASSESSED, TriageState.NO_CHANGE)
    with pytest.raises(TriageConflict, match="cannot become code reissued"):
        check_transition("INC-2027-0001", TriageState.RECEIVED, TriageState.REISSUE)
    with pytest.raises(TriageConflict, match="already decided"):
        check_transition("INC-2027-0001", TriageState.REISSUE, TriageState.NO_CHANGE)
    with pytest.raises(TriageConflict, match="already decided"):
        check_transition("INC-2027-0001", TriageState.NO_CHANGE, TriageState.ASSESSED)


def test_deciding_a_received_report_passes_through_assessed() -> None:
    assert steps_to(TriageState.RECEIVED, TriageState.REISSUE) == [
        TriageState.ASSESSED,
        TriageState.REISSUE,
    ]
    assert steps_to(TriageState.ASSESSED, TriageState.NO_CHANGE) == [TriageState.NO_CHANGE]
    assert parse_decision("No change") is TriageState.NO_CHANGE
    with pytest.raises(InputError):
        parse_decision("assessed")


def test_a_decision_needs_a_reason_without_personal_details() -> None:
    assert check_decision_reason("  Dismissed for misconduct; code known.  ") == (
        "Dismissed for misconduct; code known."
    )
    with pytest.raises(InputError, match="give the reason"):
        check_decision_reason(" ")
    with pytest.raises(InputError, match="remove the phone number"):
        check_decision_reason("rang them on 07700 900123")


def test_waiting_time_stops_at_the_decision() -> None:
    received = datetime(2027, 4, 1, 9, 0, tzinfo=UTC)
    now = received + timedelta(days=2, hours=3)
    assert waiting_time(received, None, now) == timedelta(days=2, hours=3)
    assert waiting_time(received, received + timedelta(minutes=42), now) == timedelta(minutes=42)
    assert waiting_text(timedelta(days=2, hours=3, minutes=5)) == "2 days 3 hours"
    assert waiting_text(timedelta(hours=1, minutes=1)) == "1 hour 1 minute"
    assert waiting_text(timedelta(minutes=4)) == "4 minutes"
    assert waiting_text(timedelta(seconds=40)) == "under a minute"

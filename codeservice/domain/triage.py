"""Triage of a potential security incident (§51–52): ``received`` → ``assessed`` →
``reissue`` or ``no-change``, a decision final, each with its reason."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from codeservice.domain.personal_details import find_personal_details, personal_details_message
from codeservice.domain.text import check_usable, trimmed
from codeservice.errors import Conflict, InputError

MAX_DECISION_REASON = 2000


class TriageState(StrEnum):
    RECEIVED = "received"
    ASSESSED = "assessed"
    REISSUE = "reissue"
    NO_CHANGE = "no-change"

    @property
    def label(self) -> str:
        return _STATE_LABELS[self]

    @property
    def is_decided(self) -> bool:
        return self in DECISIONS


_STATE_LABELS = {
    TriageState.RECEIVED: "Received",
    TriageState.ASSESSED: "Assessed",
    TriageState.REISSUE: "Code reissued",
    TriageState.NO_CHANGE: "No change needed",
}

DECISIONS = frozenset({TriageState.REISSUE, TriageState.NO_CHANGE})
TRANSITIONS: dict[TriageState, frozenset[TriageState]] = {
    TriageState.RECEIVED: frozenset({TriageState.ASSESSED}),
    TriageState.ASSESSED: DECISIONS,
    TriageState.REISSUE: frozenset(),
    TriageState.NO_CHANGE: frozenset(),
}


class TriageConflict(Conflict):
    """The step asked for does not follow from the report's state."""


def parse_decision(value: str) -> TriageState:
    text = value.strip().lower().replace("_", "-").replace(" ", "-")
    if text in {"reissue", "no-change"}:
        return TriageState(text)
    raise InputError(f"unknown decision {value!r}: choose reissue or no-change")


def check_transition(reference: str, current: TriageState, wanted: TriageState) -> None:
    if wanted not in TRANSITIONS[current]:
        if current.is_decided:
            raise TriageConflict(
                f"report {reference} was already decided ({current.label.lower()}); "
                "a decision is final"
            )
        raise TriageConflict(
            f"report {reference} is {current.label.lower()}; it cannot become "
            f"{wanted.label.lower()} from there"
        )


def steps_to(current: TriageState, decision: TriageState) -> list[TriageState]:
    """The states a report passes through to reach ``decision``: a report still
    ``received`` is assessed first, so that the trail always shows both steps."""
    if decision not in DECISIONS:
        raise ValueError("a decision is reissue or no-change")
    return [TriageState.ASSESSED, decision] if current is TriageState.RECEIVED else [decision]


def check_decision_reason(reason: str, *, label: str = "the reason", field: str = "reason") -> str:
    """A decision's (or a reissue's, or an assessment's) reason, checked; ``label``
    names the field in the message, ``field`` in the error (``InputError.field``)."""
    text = trimmed(reason)
    if not text:
        raise InputError(
            "give the reason for the decision (§52: each case on its own merit)", field=field
        )
    if len(text) > MAX_DECISION_REASON:
        raise InputError(f"{label} must be {MAX_DECISION_REASON} characters or fewer", field=field)
    check_usable(text, field=field, label=label, multiline=True)
    kinds = find_personal_details(text)
    if kinds:
        raise InputError(personal_details_message(kinds), field=field)
    return text


def waiting_time(received_at: datetime, decided_at: datetime | None, now: datetime) -> timedelta:
    """How long a report has waited for a decision (or waited, once decided)."""
    return max((decided_at or now) - received_at, timedelta(0))


def waiting_text(waited: timedelta) -> str:
    """'3 days 2 hours', '2 hours 5 minutes', '4 minutes', 'under a minute'."""
    minutes = int(waited.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)

    def unit(count: int, name: str) -> str:
        return f"{count} {name}{'' if count == 1 else 's'}"

    if days:
        return unit(days, "day") + (f" {unit(hours, 'hour')}" if hours else "")
    if hours:
        return unit(hours, "hour") + (f" {unit(minutes, 'minute')}" if minutes else "")
    return unit(minutes, "minute") if minutes else "under a minute"

from __future__ import annotations

from datetime import date

import pytest

from codeservice.domain.incidents import (
    InvalidReport,
    ReasonCategory,
    check_report,
    parse_reason,
    parse_reference,
    report_reference,
)
from codeservice.errors import InputError

TODAY = date(2027, 4, 1)


def _report(**changes: str) -> dict[str, str]:
    fields = {
        "subcontractor": "",
        "day": "29",
        "month": "3",
        "year": "2027",
        "reason": "dismissed",
        "details": "A team leader who knew the code was dismissed on Monday.",
    }
    fields.update(changes)
    return fields


# --- the proforma -------------------------------------------------------------------


def test_a_complete_report_is_accepted_and_tidied() -> None:
    details = check_report(**_report(subcontractor="  Step Forward   Mentoring "), today=TODAY)
    assert details.subcontractor == "Step Forward Mentoring"
    assert details.change_date == date(2027, 3, 29)
    assert details.reason is ReasonCategory.DISMISSED


def test_a_description_with_an_ni_number_is_refused_naming_the_kind_only() -> None:
    with pytest.raises(InvalidReport) as refused:
        check_report(**_report(details="Dismissed. Their NI number is QQ123456C."), today=TODAY)
    assert refused.value.errors == {
        "details": "Do not include personal details about any member of staff: remove the "
        "National Insurance number"
    }
    assert "QQ123456C" not in str(refused.value)


def test_every_problem_is_reported_at_once_in_field_order() -> None:
    with pytest.raises(InvalidReport) as refused:
        check_report(
            **_report(
                subcontractor="boss@example.org", day="", month="", year="", reason="", details=" "
            ),
            today=TODAY,
        )
    assert list(refused.value.errors) == ["subcontractor", "change_date", "reason", "details"]
    assert refused.value.errors["change_date"] == "Enter the date of the change of circumstances"
    assert refused.value.errors["reason"] == "Select the reason for the report"
    assert refused.value.errors["details"] == "Enter a description of what happened"


@pytest.mark.parametrize(
    ("day", "month", "year", "message"),
    [
        ("29", "", "2027", "Date of the change of circumstances must include a month"),
        ("", "", "2027", "Date of the change of circumstances must include a day and month"),
        ("31", "2", "2027", "Date of the change of circumstances must be a real date"),
        ("1", "4", "27", "Date of the change of circumstances must be a real date"),
        ("a", "4", "2027", "Date of the change of circumstances must be a real date"),
        ("1" * 20, "4", "2027", "Date of the change of circumstances must be a real date"),
        ("1", "9" * 30, "2027", "Date of the change of circumstances must be a real date"),
        ("²", "4", "2027", "Date of the change of circumstances must be a real date"),
        ("1", "4", "٢٠٢٧", "Date of the change of circumstances must be a real date"),
        ("2", "4", "2027", "Date of the change of circumstances must be today or in the past"),
        ("1", "1", "0001", "Date of the change of circumstances must be on or after 1 June 2011"),
        ("31", "5", "2011", "Date of the change of circumstances must be on or after 1 June 2011"),
    ],
)
def test_the_date_must_be_a_real_past_date(day: str, month: str, year: str, message: str) -> None:
    with pytest.raises(InvalidReport) as refused:
        check_report(**_report(day=day, month=month, year=year), today=TODAY)
    assert refused.value.errors == {"change_date": message}


def test_a_subcontractor_or_description_that_shows_nothing_is_refused() -> None:
    with pytest.raises(InvalidReport) as refused:
        check_report(**_report(subcontractor="\u3164", details="\u2060\n\ufeff"), today=TODAY)
    assert refused.value.errors == {
        "subcontractor": "Subcontractor organisation contains only characters that do not "
        "show, such as U+3164 (HANGUL FILLER)",
        "details": "Enter a description of what happened",  # stray invisibles trimmed
    }


def test_a_zero_width_space_alone_is_no_subcontractor() -> None:
    assert check_report(**_report(subcontractor=" \u200b "), today=TODAY).subcontractor is None


def test_the_first_day_of_the_work_programme_is_accepted() -> None:
    checked = check_report(**_report(day="1", month="6", year="2011"), today=TODAY)
    assert checked.change_date.isoformat() == "2011-06-01"


def test_today_is_accepted() -> None:
    checked = check_report(**_report(day="1", month="4", year="2027"), today=TODAY)
    assert checked.change_date == TODAY


def test_an_overlong_description_is_refused() -> None:
    with pytest.raises(InvalidReport) as refused:
        check_report(**_report(details="x" * 2001), today=TODAY)
    assert refused.value.errors == {"details": "Description must be 2000 characters or fewer"}


def test_reasons_are_the_five_of_paragraph_48() -> None:
    assert [r.value for r in ReasonCategory] == [
        "left-without-notice",
        "dismissed",
        "suspected-fraud",
        "subcontractor-ended",
        "other",
    ]
    assert parse_reason(" Suspected-Fraud ") is ReasonCategory.SUSPECTED_FRAUD
    with pytest.raises(InputError, match="choose one of left-without-notice, dismissed"):
        parse_reason("resigned")


def test_references_look_like_inc_year_number() -> None:
    assert report_reference(2027, 42) == "INC-2027-0042"
    assert parse_reference(" inc-2027-0042 ") == "INC-2027-0042"
    with pytest.raises(InputError):
        parse_reference("42")

"""The security plan columns of the register CSV (§17–18): every problem named with its
file and line, nothing imported."""

from __future__ import annotations

from datetime import date

import pytest

from codeservice.domain.register import parse_register
from codeservice.domain.register_edits import InvalidEdit, check_plan_dates
from codeservice.domain.security_plan import SecurityPlan, plan_status
from codeservice.errors import InputError

TODAY = date(2027, 4, 1)
HEADER = (
    "ref,name,prime_ref,spoc_name,spoc_email,"
    "security_plan_received,security_plan_approved,security_plan_changed\n"
)


def problems_of(text: str) -> list[str]:
    with pytest.raises(InputError) as caught:
        parse_register(text, "reg.csv", TODAY)
    assert "nothing was imported" in str(caught.value)
    return caught.value.problems


def test_plan_dates_are_read_from_any_row_of_the_prime() -> None:
    register = parse_register(
        HEADER
        + "PRV001,Northfield Ltd,,Ann Lee,ann@example.org,,,\n"
        + "PRV001,Northfield Ltd,,Bob Ray,bob@example.org,2026-01-05,2026-02-02,2026-09-01\n"
        + "PRV002,Harbourside,,Cat Jones,cat@example.com,2026-03-02,,\n"
        + "SUB101,Riverside Trust,PRV001,,,,,\n",
        "reg.csv",
        TODAY,
    )
    northfield, harbourside = register.primes
    assert register.has_plans
    assert northfield.plan == SecurityPlan(date(2026, 1, 5), date(2026, 2, 2), date(2026, 9, 1))
    assert northfield.plan.approved
    assert harbourside.plan == SecurityPlan(received_on=date(2026, 3, 2))
    assert not harbourside.plan.approved
    assert plan_status(harbourside.plan) == "received 2026-03-02, not approved"
    assert plan_status(northfield.plan) == "approved 2026-02-02, changed 2026-09-01"
    assert plan_status(SecurityPlan()) == "none received"


def test_without_the_columns_no_plan_is_given() -> None:
    register = parse_register(
        "ref,name,prime_ref,spoc_name,spoc_email\nPRV001,One,,Ann,ann@example.org\n",
        "reg.csv",
        TODAY,
    )
    assert not register.has_plans
    assert register.primes[0].plan == SecurityPlan()


def test_bad_dates_are_named_with_file_and_line() -> None:
    found = problems_of(
        HEADER
        + "PRV001,One,,Ann,ann@example.org,2026-01-05,2026-02-02,\n"  # 2 fine
        + "PRV002,Two,,Bob,bob@example.org,05/01/2026,,\n"  # 3 not ISO
        + "PRV003,Three,,Cat,cat@example.org,2026-02-30,,\n"  # 4 no such day
        + "PRV004,Four,,Dan,dan@example.org,2026-03-02,2026-03-01,\n"  # 5 approved before
        + "PRV005,Five,,Eve,eve@example.org,,2026-03-01,\n"  # 6 approved, never received
        + "PRV006,Six,,Fay,fay@example.org,2026-03-02,2027-04-02,\n"  # 7 in the future
        + "PRV007,Seven,,Gus,gus@example.org,2026-03-02,2026-03-05,2026-03-01\n"  # 8
        + "PRV001,One,,Hal,hal@example.org,2026-01-05,2026-02-03,\n"  # 9 differs from 2
        + "SUB101,Sub,PRV001,,,2026-01-05,,\n"  # 10 a subcontractor's own plan
        + "PRV008,Eight,,Ida,ida@example.org,0026-03-02,,\n"  # 11 a slip for 2026
    )
    assert found == [
        "reg.csv:3: security_plan_received '05/01/2026' is not a date (expected "
        "YYYY-MM-DD, e.g. 2026-03-31)",
        "reg.csv:4: security_plan_received '2026-02-30' is not a date (expected "
        "YYYY-MM-DD, e.g. 2026-03-31)",
        "reg.csv:5: security_plan_approved 2026-03-01 is before security_plan_received 2026-03-02",
        "reg.csv:6: security_plan_approved is given but security_plan_received is empty",
        "reg.csv:7: security_plan_approved 2027-04-02 is in the future (today is 2027-04-01)",
        "reg.csv:8: security_plan_changed 2026-03-01 is before security_plan_received 2026-03-02",
        "reg.csv:9: the security plan dates of 'PRV001' differ from those on line 2",
        "reg.csv:10: subcontractor 'SUB101' has security plan dates; a subcontractor is "
        "covered by its prime provider's plan (leave the security_plan_* columns empty)",
        "reg.csv:11: security_plan_received 0026-03-02 is before the Work Programme began "
        "(2011-06-01)",
    ]


def test_the_plan_columns_come_together() -> None:
    text = (
        "ref,name,prime_ref,spoc_name,spoc_email,security_plan_approved\n"
        "PRV001,One,,Ann,ann@example.org,2026-01-05\n"
    )
    assert problems_of(text) == [
        "reg.csv:1: missing column 'security_plan_received'; the columns "
        "security_plan_received, security_plan_approved, security_plan_changed go together",
        "reg.csv:1: missing column 'security_plan_changed'; the columns "
        "security_plan_received, security_plan_approved, security_plan_changed go together",
    ]


def _typed(**dates: str) -> dict[str, tuple[str, str, str]]:
    return {field: tuple(value.split(" ")) for field, value in dates.items()}  # type: ignore[misc]


def test_the_form_takes_the_same_dates_as_the_file() -> None:
    plan = check_plan_dates(_typed(received="1 3 2027", approved="01 04 2027"), TODAY)
    assert plan == SecurityPlan(date(2027, 3, 1), date(2027, 4, 1), None)
    assert check_plan_dates({}, TODAY) == SecurityPlan()


@pytest.mark.parametrize(
    ("typed", "errors"),
    [
        ({"received": "1 3 "}, {"received": "The date the plan was received must include a year"}),
        (
            {"received": " 3 "},
            {"received": "The date the plan was received must include a day and year"},
        ),
        (
            {"received": "1 3 27"},
            {"received": "The date the plan was received must be a real date"},
        ),
        (
            {"received": "x 3 2027"},
            {"received": "The date the plan was received must be a real date"},
        ),
        (
            {"received": "1 13 2027"},
            {"received": "The date the plan was received must be a real date"},
        ),
        (
            {"received": "2 4 2027"},
            {"received": "The date the plan was received must be today or in the past"},
        ),
        (
            {"received": "1 3 0027"},
            {"received": "The date the plan was received must be on or after 1 June 2011"},
        ),
        ({"changed": "2 3 2027"}, {"received": "Enter the date the plan was received"}),
        (
            {"received": "2 3 2027", "approved": "1 3 2027", "changed": "1 2 2027"},
            {
                "approved": "The date the plan was approved must be the same as or after the date "
                "the plan was received",
                "changed": "The date the plan last changed must be the same as or after the date "
                "the plan was received",
            },
        ),
        (  # a refused received date is named once, not again for the approval
            {"received": "2 4 2027", "approved": "1 3 2027"},
            {"received": "The date the plan was received must be today or in the past"},
        ),
    ],
)
def test_each_wrong_form_date_is_named(typed: dict[str, str], errors: dict[str, str]) -> None:
    with pytest.raises(InvalidEdit) as caught:
        check_plan_dates(_typed(**typed), TODAY)
    assert caught.value.errors == errors

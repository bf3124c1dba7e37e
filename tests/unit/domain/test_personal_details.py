"""Finding staff's personal details in free text, and saying what to remove."""

from __future__ import annotations

import pytest

from codeservice.domain.personal_details import (
    PersonalDetail,
    find_personal_details,
    personal_details_message,
)

EMAIL, PHONE, NINO = (
    PersonalDetail.EMAIL,
    PersonalDetail.PHONE,
    PersonalDetail.NATIONAL_INSURANCE,
)


@pytest.mark.parametrize(
    "text",
    [
        "QQ123456C",
        "NI number QQ 12 34 56 C on file",
        "qq123456c",
        "AB123456C",
        "AB 12 34 56 C",
        "AB-12-34-56-C",
        "JT123456",
        "(QQ123456C)",
    ],
)
def test_national_insurance_numbers_are_found(text: str) -> None:
    assert find_personal_details(text) == [NINO]


@pytest.mark.parametrize(
    "text",
    [
        "DA123456C",  # D is never a first letter
        "AO123456C",  # O is never a second letter
        "GB123456A",  # never allocated
        "ZZ123456A",
        "AB123456E",  # suffix beyond D: not the whole number, so no match as such
        "left on 12 04 26",  # a date in lower case with spaces
        "PO123456",  # a purchase order
        "PRV001-2027-04",
        "ABC123456C",
    ],
)
def test_things_shaped_a_little_like_ni_numbers_are_not(text: str) -> None:
    assert NINO not in find_personal_details(text)


@pytest.mark.parametrize(
    "text",
    [
        "call 07700 900123",
        "07700900123",
        "077-009-00123",
        "020 7946 0958",
        "(020) 7946 0958",
        "+44 7700 900123",
        "+447700900123",
        "+44 (0)20 7946 0958",
        "0044 20 7946 0958",
        "01632 960 001",
        "0161 496 0000 ext 12",
        "ring 0800 123 4567 today",
    ],
)
def test_uk_phone_numbers_are_found(text: str) -> None:
    assert find_personal_details(text) == [PHONE]


@pytest.mark.parametrize(
    "text",
    [
        "dismissed on 29/03/2027 at 09:30",
        "left on 29-03-2027",
        "cycle 2027-04, document PRV001-2027-04-ABCD",
        "about 1500 participants",
        "12 staff, 3 sites",
        "06 04 2027",
        "£1,000,000 contract",
    ],
)
def test_dates_and_ordinary_numbers_are_not_phone_numbers(text: str) -> None:
    assert find_personal_details(text) == []


@pytest.mark.parametrize(
    "text",
    ["ann.lee@example.org", "Email: A.N.Other+work@dept.gov.uk.", "ann @ example.org"],
)
def test_email_addresses_are_found(text: str) -> None:
    assert find_personal_details(text) == [EMAIL]


def test_every_kind_is_named_once_in_a_fixed_order() -> None:
    text = "QQ123456C, 07700 900123, a@b.org, again QQ654321A and x@y.com"
    assert find_personal_details(text) == [EMAIL, PHONE, NINO]


def test_a_phone_number_inside_an_email_address_counts_as_the_address_only() -> None:
    assert find_personal_details("07700900123@sms.example.com") == [EMAIL]


def test_the_message_names_the_kind_never_the_value() -> None:
    message = personal_details_message([NINO])
    assert message == (
        "Do not include personal details about any member of staff: remove the National "
        "Insurance number"
    )
    assert personal_details_message([EMAIL, PHONE, NINO]).endswith(
        "remove the email address, the phone number and the National Insurance number"
    )

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from docx import Document

from codeservice.documents import DocumentContent, build_document, document_filename
from codeservice.documents.content import PROPERTY_MAX_LENGTH
from tests.support.documents import FULLEST, FULLEST_UNBROKEN, SAMPLE, sample_content


def test_valid_dates_are_written_in_uk_summer_time() -> None:
    assert SAMPLE.active_from_text == "Monday 5 April 2027 at 00:00"
    assert SAMPLE.active_until_text == "Monday 3 May 2027 at 00:00"


def test_valid_dates_are_written_in_uk_winter_time() -> None:
    content = sample_content(
        cycle="2027-01",
        active_from=datetime(2027, 1, 4, 0, 0, tzinfo=UTC),
        active_until=datetime(2027, 2, 1, 0, 0, tzinfo=UTC),
    )
    assert content.active_from_text == "Monday 4 January 2027 at 00:00"
    assert content.active_until_text == "Monday 1 February 2027 at 00:00"


def test_the_cycle_is_named_by_its_month() -> None:
    assert SAMPLE.cycle_text == "April 2027 (cycle 2027-04)"
    assert SAMPLE.cycle_label == "April 2027"


def test_a_prime_provider_is_told_it_is_the_prime() -> None:
    assert SAMPLE.prime_text == "Maximum Prime Contracts plc"
    prime = sample_content(prime_name=None)
    assert prime.prime_text == "Northgate Employment Services Ltd is the prime provider"


def test_a_reissue_is_marked_next_to_the_issue_date() -> None:
    assert SAMPLE.issued_text == "Issued Wednesday 31 March 2027"
    reissue = sample_content(reissue_reason="Replaced after a reported incident")
    assert reissue.issued_text == "Issued Wednesday 31 March 2027 · reissue"


def test_the_title_names_provider_and_cycle_but_not_the_code() -> None:
    assert SAMPLE.title == (
        "Provider Direct access code: Northgate Employment Services Ltd, April 2027"
    )
    assert SAMPLE.access_code not in SAMPLE.title


@pytest.mark.parametrize("content", [FULLEST, FULLEST_UNBROKEN])
def test_a_name_too_long_for_the_title_property_ends_in_an_ellipsis(
    content: DocumentContent,
) -> None:
    # Word keeps 255 characters in a property; python-docx refused a longer title, so a
    # provider with a long name (the register allows 255) got no code at all.
    assert len(content.title) == PROPERTY_MAX_LENGTH
    assert content.title.startswith("Provider Direct access code: " + content.provider_name[:150])
    assert content.title.endswith("…, April 2027")
    properties = Document(io.BytesIO(build_document(content))).core_properties
    assert properties.title == content.title


@pytest.mark.parametrize(
    "changes",
    [
        {"active_from": datetime(2027, 4, 5)},
        {"issued_at": datetime(2027, 3, 31, 9)},
        {"active_until": datetime(2027, 4, 1, tzinfo=UTC)},
        {"cycle": "2027-4"},
        {"cycle": "2027-13"},
        {"access_code": ""},
        {"reissue_reason": ""},
        {"reissue_reason": "x" * 201},
    ],
)
def test_content_that_cannot_make_a_correct_document_is_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        sample_content(**changes)


def test_the_file_name_names_provider_and_cycle() -> None:
    assert document_filename("PRV001", "2027-04") == (
        "provider-direct-access-code-PRV001-2027-04.docx"
    )


def test_the_file_name_is_safe_whatever_the_reference_holds() -> None:
    name = document_filename("../PRV 001/é", "2027-04")
    assert name == "provider-direct-access-code-PRV-001-2027-04.docx"
    assert (
        document_filename("///", "2027-04") == "provider-direct-access-code-provider-2027-04.docx"
    )

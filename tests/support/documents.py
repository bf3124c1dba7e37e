"""A realistic access-code document's content, for tests of the document and its users."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from codeservice.documents import DocumentContent
from codeservice.domain.codes import document_ref
from codeservice.domain.register import MAX_NAME_LENGTH, REF_PATTERN

# Cycle 2027-04: issued Wed 31 Mar 2027 09:00, active Mon 5 Apr to Mon 3 May 2027 00:00
# (all British Summer Time, so an hour ahead of UTC).
SAMPLE = DocumentContent(
    provider_name="Northgate Employment Services Ltd",
    provider_ref="PRV001",
    prime_name="Maximum Prime Contracts plc",
    cycle="2027-04",
    active_from=datetime(2027, 4, 4, 23, 0, tzinfo=UTC),
    active_until=datetime(2027, 5, 2, 23, 0, tzinfo=UTC),
    issued_at=datetime(2027, 3, 31, 8, 0, tzinfo=UTC),
    access_code="Km7pQ2xR",
    document_ref="PDAC-2027-04-PRV001-1",
)

# The most a page must hold: long names on two lines and a reissue notice.
LONGEST = replace(
    SAMPLE,
    provider_name=(
        "The Greater Northumberland and Tyne Valley Employment, Skills and Wellbeing "
        "Partnership Community Interest Company"
    ),
    prime_name="Consolidated National Welfare-to-Work Prime Contractor Holdings Limited",
    access_code="WMWMwmwm",
    document_ref="PDAC-2027-04-PRV001-REISSUE-3",
    issued_at=datetime(2027, 4, 14, 10, 30, tzinfo=UTC),
    reissue_reason=(
        "The security team replaced the code after a potential security incident was "
        "reported by your organisation; the earlier code was withdrawn for every caller "
        "in your supply chain at once"
    ),
)


# The most the register lets a page hold: both names as long as it takes, in words or
# as one unbroken run, the longest provider ref, and a reissue notice.
_LONGEST_REF = "PRV" + "9" * 61
assert REF_PATTERN.fullmatch(_LONGEST_REF) and not REF_PATTERN.fullmatch(_LONGEST_REF + "9")
FULLEST = replace(
    LONGEST,
    provider_name=("Greater Northumberland and Tyne Valley Employment Skills Partnership " * 4)[
        :MAX_NAME_LENGTH
    ].rstrip(),
    prime_name=("Consolidated National Welfare to Work Prime Contractor Holdings " * 4)[
        :MAX_NAME_LENGTH
    ].rstrip(),
    provider_ref=_LONGEST_REF,
    document_ref=document_ref(_LONGEST_REF, "2027-04"),
)
FULLEST_UNBROKEN = replace(
    FULLEST,
    provider_name=("Supercalifragilisticexpialidocious" * 8)[:MAX_NAME_LENGTH],
    prime_name=("Pneumonoultramicroscopicsilicovolcanoconiosis" * 6)[:MAX_NAME_LENGTH],
)


def sample_content(**changes: Any) -> DocumentContent:
    return replace(SAMPLE, **changes)

"""The personal-details guard against the ways people really type these details.

Each strategy builds a real National Insurance number, e-mail address or UK phone
number and then writes it out as a person might: any case, any spacing or punctuation
between the parts, non-breaking and other Unicode spaces, typographic dashes,
full-width characters. The second half shows what must not be flagged: access codes,
document references, dates and times.
"""

from __future__ import annotations

import string
from datetime import date, datetime, time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from codeservice.domain.codes import Alphabet, document_ref
from codeservice.domain.incidents import InvalidReport, ReasonCategory, check_report
from codeservice.domain.personal_details import PersonalDetail, find_personal_details
from codeservice.domain.triage import check_decision_reason
from codeservice.errors import InputError

EMAIL, PHONE, NINO = (
    PersonalDetail.EMAIL,
    PersonalDetail.PHONE,
    PersonalDetail.NATIONAL_INSURANCE,
)

# What people put between the parts of a number.
SEPARATORS = st.sampled_from(
    ["", " ", "  ", "-", " - ", ".", "/", "\u00a0", "\u202f", "\u2009", "\u2013", "\u2011"]
)
PHONE_SEPARATORS = st.sampled_from(
    ["", " ", "  ", "-", " - ", ".", "\u00a0", "\u202f", "\u2009", "\u2013", "\u2011"]
)
BEFORE = st.sampled_from(["", "NI number ", "staff member (", "see: ", "call ", "details\n"])
AFTER = st.sampled_from(["", " on file", ")", ".", ", thanks", " today\n"])

_FULL_WIDTH = {ch: chr(ord(ch) + 0xFEE0) for ch in string.ascii_letters + string.digits + "@+"}


def _random_case(draw: st.DrawFn, text: str) -> str:
    return "".join(ch.upper() if draw(st.booleans()) else ch.lower() for ch in text)


def _maybe_full_width(draw: st.DrawFn, text: str) -> str:
    if draw(st.integers(0, 4)) == 0:
        return "".join(_FULL_WIDTH.get(ch, ch) for ch in text)
    return text


def _spread(draw: st.DrawFn, parts: list[str], separators: st.SearchStrategy[str]) -> str:
    return parts[0] + "".join(draw(separators) + part for part in parts[1:])


FIRST_LETTERS = [c for c in string.ascii_uppercase if c not in "DFIQUV"]
SECOND_LETTERS = [c for c in string.ascii_uppercase if c not in "DFIOQUV"]
NEVER = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}


@st.composite
def nino_prefixes(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from(FIRST_LETTERS)) + draw(st.sampled_from(SECOND_LETTERS))
    return "QQ" if prefix in NEVER else prefix


@st.composite
def written_ninos(draw: st.DrawFn) -> str:
    """A NINO with its suffix letter, in any case, with anything between any two parts."""
    prefix = draw(nino_prefixes())
    digits = draw(st.text(string.digits, min_size=6, max_size=6))
    suffix = draw(st.sampled_from("ABCD"))
    characters = _random_case(draw, prefix + digits + suffix)
    parts = list(characters)  # a separator may go between any two characters...
    if draw(st.booleans()):  # ...or only where people usually put one: AB 12 34 56 C
        parts = [characters[0:2], characters[2:4], characters[4:6], characters[6:8], characters[8]]
    return _maybe_full_width(draw, _spread(draw, parts, SEPARATORS))


@st.composite
def capital_ninos_without_suffix(draw: st.DrawFn) -> str:
    prefix = draw(nino_prefixes())
    digits = draw(st.text(string.digits, min_size=6, max_size=6))
    parts = [prefix, digits[0:2], digits[2:4], digits[4:6]]
    return _spread(draw, parts, SEPARATORS)


@st.composite
def written_emails(draw: st.DrawFn) -> str:
    local_chars = string.ascii_lowercase + string.digits
    local = draw(st.text(local_chars, min_size=1, max_size=12))
    if draw(st.booleans()):
        local += draw(st.sampled_from([".", "_", "+", "-"])) + draw(
            st.text(local_chars, min_size=1, max_size=8)
        )
    labels = draw(st.lists(st.text(local_chars, min_size=1, max_size=10), min_size=1, max_size=3))
    tld = draw(st.sampled_from(["org", "uk", "com", "gov.uk", "co.uk", "net", "scot"]))
    domain = ".".join([*labels, tld])
    at = draw(st.sampled_from(["@", " @ ", "@ ", " @", "\uff20", "(at)", " [at] "]))
    return _random_case(draw, local) + at + _random_case(draw, domain)


@st.composite
def written_phone_numbers(draw: st.DrawFn) -> str:
    """A UK mobile or landline, with its area code set apart the way people do."""
    kind = draw(st.sampled_from(["mobile", "london", "city", "town", "freephone"]))
    area, rest_length = {
        "mobile": ("7" + draw(st.text(string.digits, min_size=3, max_size=3)), 6),
        "london": ("20", 8),
        "city": ("1" + draw(st.text(string.digits, min_size=1, max_size=1)) + "1", 7),
        "town": ("1" + draw(st.text(string.digits, min_size=3, max_size=3)), 6),
        "freephone": ("800", 7),
    }[kind]
    rest = draw(st.text(string.digits, min_size=rest_length, max_size=rest_length))
    cut = draw(st.sampled_from([0, 3, 4])) if len(rest) > 4 else 0
    groups = [rest[:cut], rest[cut:]] if cut else [rest]
    lead = draw(st.sampled_from(["0", "+44 ", "+44", "+44 (0)", "+44(0) ", "0044 ", "(0"]))
    head = lead + area + (")" if lead == "(0" else "")
    text = head + draw(PHONE_SEPARATORS) + _spread(draw, groups, PHONE_SEPARATORS)
    return _maybe_full_width(draw, text)


@given(BEFORE, written_ninos(), AFTER)
def test_a_national_insurance_number_is_found_however_it_is_written(
    before: str, nino: str, after: str
) -> None:
    assert find_personal_details(before + nino + after) == [NINO]


@given(BEFORE, capital_ninos_without_suffix(), AFTER)
def test_a_national_insurance_number_without_its_suffix_is_found_in_capitals(
    before: str, nino: str, after: str
) -> None:
    assert find_personal_details(before + nino + after) == [NINO]


@given(st.sampled_from(["", "email ", "write to ", "("]), written_emails(), AFTER)
def test_an_email_address_is_found_however_it_is_written(
    before: str, email: str, after: str
) -> None:
    assert find_personal_details(before + email + after) == [EMAIL]


@given(BEFORE, written_phone_numbers(), st.sampled_from(["", " today", ".", ")", " ext 12"]))
def test_a_uk_phone_number_is_found_however_it_is_written(
    before: str, phone: str, after: str
) -> None:
    assert find_personal_details(before + phone + after) == [PHONE]


ALPHABET = Alphabet.from_excluded()


ACCESS_CODES = st.text(ALPHABET.upper + ALPHABET.lower + ALPHABET.digits, min_size=8, max_size=8)


@given(st.sampled_from(["", "code ", "ref: "]), ACCESS_CODES)
def test_an_access_code_is_not_a_phone_number_or_an_email_address(before: str, code: str) -> None:
    found = find_personal_details(before + code)
    assert PHONE not in found and EMAIL not in found


@given(
    st.from_regex(r"[A-Z]{3}[0-9]{3}", fullmatch=True),
    st.dates(date(2020, 1, 1), date(2040, 12, 31)),
    st.randoms(use_true_random=False),
)
def test_provider_and_document_references_are_not_personal_details(
    provider: str, day: date, rng: object
) -> None:
    cycle = f"{day:%Y-%m}"
    reference = document_ref(provider, cycle, rng)  # type: ignore[arg-type]
    assert find_personal_details(f"{provider} {cycle}, document {reference}") == []
    assert find_personal_details(f"{provider}-{cycle}") == []


DATE_FORMATS = st.sampled_from(
    ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", "%d/%m/%y", "%d.%m.%y", "%d %B %Y"]
)


@given(
    st.sampled_from(["", "on ", "at ", "by ", "dismissed on ", "left "]),
    st.dates(date(1990, 1, 1), date(2040, 12, 31)),
    DATE_FORMATS,
    st.one_of(st.none(), st.times()),
)
def test_dates_and_times_are_not_personal_details(
    before: str, day: date, layout: str, moment: time | None
) -> None:
    text = before + day.strftime(layout)
    if moment is not None:
        text += " " + datetime.combine(day, moment).strftime("%H:%M")
    assert find_personal_details(text) == []


def test_a_two_letter_word_before_a_date_is_not_a_national_insurance_number() -> None:
    for text in ["at 12.04.26", "on 2027-04-06", "by 2027.04", "to 05 04 27"]:
        assert find_personal_details(text) == [], text
    # ...but in capitals, or with a suffix letter, it is one.
    assert find_personal_details("AT 12.04.26") == [NINO]
    assert find_personal_details("at 12 34 56 c") == [NINO]


@given(st.one_of(written_ninos(), written_emails(), written_phone_numbers()))
def test_the_incident_proforma_and_the_triage_reason_refuse_every_written_form(
    detail: str,
) -> None:
    with pytest.raises(InvalidReport) as refused:
        check_report(
            subcontractor="",
            day="1",
            month="3",
            year="2027",
            reason=ReasonCategory.DISMISSED.value,
            details=f"The SPoC left; their details were {detail}.",
            today=date(2027, 4, 1),
        )
    assert list(refused.value.errors) == ["details"]
    assert "personal details" in refused.value.errors["details"]
    with pytest.raises(InputError, match="personal details"):
        check_decision_reason(f"confirmed with {detail}")

"""What may be kept: text that XML, an email header and a CSV cell can all carry."""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from codeservice.domain.text import (
    check_usable,
    composed,
    looks_like_formula,
    printable,
    search_key,
    spreadsheet_safe,
    trimmed,
    unusable_character,
    whole_number,
)
from codeservice.errors import InputError


@pytest.mark.parametrize(
    "text",
    [
        "Acme\x07 Ltd",
        "Acme\x00",
        "A\nB",
        "A\rB",
        "A\u2028B",
        "A\x85B",
        "A\u202eB",
        "A\ufffe",
        "\ud800",
    ],
)
def test_single_line_values_refuse_controls_and_line_breaks(text: str) -> None:
    problem = unusable_character(text)
    assert problem is not None
    assert "U+" in problem and "at character" in problem


def test_the_problem_names_the_character_and_where_it_is() -> None:
    assert unusable_character("Acme\x07 Ltd") == (
        "contains a control character, U+0007, at character 5"
    )
    assert unusable_character("ab\u202ec") == (
        "contains a bidirectional control character, "
        "U+202E (RIGHT-TO-LEFT OVERRIDE), at character 3"
    )


def test_multiline_values_keep_their_line_breaks_and_tabs() -> None:
    assert unusable_character("first\r\nsecond\tthird", multiline=True) is None
    assert unusable_character("first\x0bsecond", multiline=True) is not None


@pytest.mark.parametrize(
    "text",
    [
        "Ærø Sørensen & Co",
        "O'Brien-Łukasz",
        "株式会社",
        "ℌ𝔢𝔩𝔭 👋",
        "👩\u200d💻 Team",  # a zero-width joiner inside an emoji sequence
        "می\u200cخواهم",  # Persian's zero-width non-joiner between letters
        "   ",  # blank: for the field's own "Enter …", not this check
    ],
)
def test_ordinary_text_in_any_script_is_kept(text: str) -> None:
    assert unusable_character(text) is None


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("\u200b", "U+200B (ZERO WIDTH SPACE)"),
        (" \u2060 \ufeff ", "U+2060 (WORD JOINER)"),
        ("\u3164", "U+3164 (HANGUL FILLER)"),
        ("\u2800\u00ad", "U+2800 (BRAILLE PATTERN BLANK)"),
        ("\U000e0041", "U+E0041 (TAG LATIN CAPITAL LETTER A)"),
    ],
)
def test_a_value_that_shows_nothing_is_refused_though_not_empty(text: str, first: str) -> None:
    problem = f"contains only characters that do not show, such as {first}"
    assert unusable_character(text) == problem
    assert unusable_character(text, multiline=True) == problem


@given(st.text())
def test_whatever_is_accepted_goes_into_xml(text: str) -> None:
    if unusable_character(text, multiline=True) is None:
        etree.Element("t").text = text  # lxml raises on anything XML 1.0 cannot carry


@given(st.text())
def test_whatever_single_line_is_accepted_goes_into_an_email_header(text: str) -> None:
    if unusable_character(text) is None:
        message = EmailMessage()
        message["Subject"] = text
        message["To"] = Address(display_name=text, addr_spec="spoc@example.org")
        rendered = message.as_string()
        assert rendered.count("\nTo:") == 1 and rendered.count("Subject:") == 1


@pytest.mark.parametrize("text", ["=SUM(A1)", "+1", "-2", "@cmd", "\tx", "\rx"])
def test_formula_like_cells_are_neutralised(text: str) -> None:
    assert looks_like_formula(text)
    assert spreadsheet_safe(text) == "'" + text


def test_plain_cells_are_left_alone() -> None:
    assert spreadsheet_safe("Acme Ltd") == "Acme Ltd"


def test_check_usable_names_the_field_and_keeps_good_text() -> None:
    assert check_usable(
        "Lost laptop\n\tat home", field="reason", label="the reason", multiline=True
    )
    with pytest.raises(InputError) as refused:
        check_usable("Lost\nlaptop", field="display_name", label="the display name")

    assert refused.value.field == "display_name"
    assert str(refused.value) == ("the display name contains a line break, U+000A, at character 5")


@pytest.mark.parametrize(
    ("text", "number"),
    [("42", 42), ("0", 0), ("", None), ("²", None), ("٣", None), ("-1", None), ("9" * 19, None)],
)
def test_whole_number_reads_only_short_ascii_digits(text: str, number: int | None) -> None:
    assert whole_number(text) == number


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("evil\x1b[31m.csv", "evil\\x1b[31m.csv"),
        ("title\x1b]0;pwn\x07", "title\\x1b]0;pwn\\x07"),
        ("two\nlines", "two\\nlines"),
        ("a\u202eb", "a\\u202eb"),
        ("not-utf8-\udcff.csv", "not-utf8-\\udcff.csv"),
        ("C1\x9b31m", "C1\\x9b31m"),
    ],
)
def test_printable_escapes_what_a_terminal_would_act_on(text: str, shown: str) -> None:
    assert printable(text) == shown
    printable(text).encode("utf-8")  # a name that was not UTF-8 can be printed


@given(st.text())
def test_printable_leaves_nothing_unusable_and_keeps_ordinary_text(text: str) -> None:
    shown = printable(text)
    assert unusable_character(shown) is None
    if unusable_character(text) is None:
        assert shown == text  # Café, 😀, a joiner or an RTL mark: shown as they are


def test_composed_gives_one_form_for_text_that_looks_the_same() -> None:
    assert composed("Cafe\u0301") == composed("Caf\u00e9") == "Caf\u00e9"


@pytest.mark.parametrize("typed", ["café", "CAFE\u0301", "ＣＡＦÉ", "Caf\u00e9 L"])
def test_search_key_matches_what_a_person_typed_however_it_was_encoded(typed: str) -> None:
    kept = "Cafe\u0301 Ltd"  # as a spreadsheet on a Mac may save it
    assert search_key(typed) in search_key(kept)


@pytest.mark.parametrize(
    ("pasted", "kept"),
    [
        ("\u200bAcme Ltd\ufeff", "Acme Ltd"),
        (" \u2060 Acme\u00a0Ltd \u00ad\n", "Acme\u00a0Ltd"),
        ("Acme\u200bLtd", "Acme\u200bLtd"),  # inside: left for unusable_character's rules
        ("❤\ufe0f", "❤\ufe0f"),  # a variation selector at the end means something
        ("\u200b", ""),
    ],
)
def test_trimmed_drops_stray_invisible_characters_at_the_ends(pasted: str, kept: str) -> None:
    assert trimmed(pasted) == kept

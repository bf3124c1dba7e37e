"""A notice's subject and text, checked (§56)."""

from __future__ import annotations

import pytest

from codeservice.domain.notices import InvalidNotice, check_notice, check_notice_key
from codeservice.errors import InputError


def test_a_notice_is_tidied_not_changed() -> None:
    draft = check_notice(subject="  Calls  down  ", text="\r\nLine one\r\n\r\n\tLine two  \n")

    assert draft.subject == "Calls down"
    assert draft.text == "Line one\n\n\tLine two"


@pytest.mark.parametrize(
    ("subject", "text", "errors"),
    [
        ("", "", {"subject": "Enter a subject", "text": "Enter the text of the notice"}),
        ("s" * 151, "t", {"subject": "Subject must be 150 characters or fewer"}),
        ("s", "t" * 5001, {"text": "Text must be 5000 characters or fewer"}),
        (
            "a\u202eb",
            "t",
            {
                "subject": "Subject contains a bidirectional control character, "
                "U+202E (RIGHT-TO-LEFT OVERRIDE), at character 2"
            },
        ),
        ("a\tb", "t", {"subject": "Subject contains a control character, U+0009, at character 2"}),
        ("s", "a\x00b", {"text": "Text contains a control character, U+0000, at character 2"}),
    ],
)
def test_every_problem_is_named_by_its_field(
    subject: str, text: str, errors: dict[str, str]
) -> None:
    with pytest.raises(InvalidNotice) as raised:
        check_notice(subject=subject, text=text)

    assert raised.value.errors == errors


def test_the_limits_themselves_are_allowed() -> None:
    draft = check_notice(subject="s" * 150, text="t" * 5000)

    assert (len(draft.subject), len(draft.text)) == (150, 5000)


@pytest.mark.parametrize("key", ["", "0" * 31, "0" * 33, "G" * 32, "../" * 11])
def test_only_a_key_a_preview_made_is_taken(key: str) -> None:
    with pytest.raises(InputError):
        check_notice_key(key)
    assert check_notice_key("0123456789abcdef" * 2) == "0123456789abcdef" * 2

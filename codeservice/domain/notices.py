"""A notice to every SPoC, as the BMT types it, checked before it is shown or sent (pure).

§56: when Provider Direct cannot take calls, the BMT tells every SPoC what the problem
is and how long the service is likely to be affected for. The subject becomes an email
header, so it is one line; the text may hold line breaks and tabs, nothing else that
an email or a page cannot carry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from codeservice.domain.text import unusable_character
from codeservice.errors import InputError

MAX_SUBJECT = 150
MAX_TEXT = 5000
FIELD_ORDER = ("subject", "text")
_NOTICE_KEY = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class NoticeDraft:
    subject: str
    text: str


class InvalidNotice(InputError):
    """Field-level problems with a notice: ``errors`` maps each field to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(
            "the notice was not sent: " + "; ".join(errors.values()),
            problems=list(errors.values()),
        )
        self.errors = errors


def check_notice(*, subject: str, text: str) -> NoticeDraft:
    """Subject and text as typed, checked; raises ``InvalidNotice`` with every problem.

    Runs of spaces in the subject become one; both lose the spaces at their ends (the
    text its blank lines too), and the text's line endings become ``\\n``.
    """
    errors: dict[str, str] = {}
    subject_text = re.sub(r" {2,}", " ", subject.strip(" "))
    if not subject_text:
        errors["subject"] = "Enter a subject"
    elif len(subject_text) > MAX_SUBJECT:
        errors["subject"] = f"Subject must be {MAX_SUBJECT} characters or fewer"
    elif problem := unusable_character(subject_text):
        errors["subject"] = f"Subject {problem}"

    body = text.replace("\r\n", "\n").replace("\r", "\n").strip(" \n\t")
    if not body:
        errors["text"] = "Enter the text of the notice"
    elif len(body) > MAX_TEXT:
        errors["text"] = f"Text must be {MAX_TEXT} characters or fewer"
    elif problem := unusable_character(body, multiline=True):
        errors["text"] = f"Text {problem}"

    if errors:
        raise InvalidNotice({name: errors[name] for name in FIELD_ORDER if name in errors})
    return NoticeDraft(subject=subject_text, text=body)


def check_notice_key(value: str) -> str:
    """The notice id a preview made (32 hex digits); ``InputError`` for anything else."""
    if not _NOTICE_KEY.fullmatch(value):
        raise InputError(
            "This notice was not previewed here: write it again and preview it", field="key"
        )
    return value

"""An attachment encoded once gives each message the bytes that encoding it there would."""

from __future__ import annotations

import email
import email.policy
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from codeservice.emails import DOCX, Attachment, compose, encode_attachment, render

RENDERED = render(
    "issue_failure", {"cycle": "2027-04", "cycle_label": "April 2027", "ref": "P1", "reason": "x"}
)


def _bytes(data: bytes, *, once: bool) -> bytes:
    attachment = Attachment("P1-2027-04.docx", data, *DOCX)
    kwargs = {"encoded": [encode_attachment(attachment)]} if once else {"attachments": [attachment]}
    message = compose(
        RENDERED, sender="a@example.org", to_name="Ann", to_email="ann@example.org", **kwargs
    )
    message.replace_header("Date", "Mon, 05 Apr 2027 10:00:00 +0000")
    message["Message-ID"] = "<one@example.org>"
    return message.as_bytes()


def _same_but_boundary(data: bytes) -> bytes:
    return re.sub(rb"=+\d+==", b"BOUNDARY", data)  # drawn at random for each message


@settings(max_examples=25, deadline=None)
@given(st.binary(min_size=1, max_size=5000))
def test_an_attachment_encoded_once_is_the_same_bytes_as_one_encoded_in_place(data: bytes) -> None:
    spliced = _bytes(data, once=True)
    assert _same_but_boundary(spliced) == _same_but_boundary(_bytes(data, once=False))
    parsed = email.message_from_bytes(spliced, policy=email.policy.default)
    assert [p.get_content() for p in parsed.walk() if p.get_filename()] == [data]

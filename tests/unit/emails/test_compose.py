"""``compose`` keeps headers as given (the compat32 policy): what a reader parses back."""

from __future__ import annotations

import email
import email.policy

import pytest

from codeservice.emails import DOCX, Attachment, RenderedEmail, compose
from mailer.outbox import envelope_recipients

RENDERED = RenderedEmail(
    subject="Your access code for April 2027 – Zoë’s Provider Ltd",
    text="Dear Zoë,\n\nAcknowledge: https://codes.example.org/a/" + "x" * 90 + "\n",
    html="<p>Dear Zoë,</p>\n<p><a href='https://codes.example.org/a/x'>Acknowledge</a></p>\n",
)


def _parsed(**overrides: str) -> email.message.EmailMessage:
    fields = {"sender": "Provider Direct <codes@example.org>", "to_name": "Zoë Ünal, SPoC"}
    fields.update(overrides)
    message = compose(
        RENDERED,
        to_email="zoe@example.org",
        attachments=[Attachment("Zoë's code.docx", b"\x00\x01document", *DOCX)],
        **fields,
    )
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert isinstance(parsed, email.message.EmailMessage)
    return parsed


def test_names_subject_bodies_and_attachment_read_back_as_given() -> None:
    parsed = _parsed()
    assert str(parsed["Subject"]) == RENDERED.subject
    assert parsed["To"].addresses[0].display_name == "Zoë Ünal, SPoC"
    assert parsed["To"].addresses[0].addr_spec == "zoe@example.org"
    assert parsed["From"].addresses[0].addr_spec == "codes@example.org"
    plain = parsed.get_body(preferencelist=("plain",))
    html = parsed.get_body(preferencelist=("html",))
    assert plain is not None and plain.get_content() == RENDERED.text
    assert html is not None and html.get_content() == RENDERED.html
    (attached,) = parsed.iter_attachments()
    assert attached.get_filename() == "Zoë's code.docx"
    assert attached.get_content() == b"\x00\x01document"
    assert parsed.as_bytes().count(b"MIME-Version") == 1


def test_the_envelope_gets_the_bare_address() -> None:
    message = compose(RENDERED, sender="a@example.org", to_name="Zoë", to_email="z@example.org")
    assert envelope_recipients(message) == ["z@example.org"]


@pytest.mark.parametrize("field", ["sender", "to_name"])
def test_a_line_break_in_a_header_is_refused(field: str) -> None:
    with pytest.raises(ValueError, match="line break"):
        _parsed(**{field: "Ann\r\nBcc: eve@example.org"})


def test_an_address_that_is_not_ascii_is_refused() -> None:
    with pytest.raises(UnicodeEncodeError):
        compose(RENDERED, sender="a@example.org", to_name="Zoë", to_email="zoë@example.org")

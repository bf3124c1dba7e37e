"""Email templates: one folder per email with subject.txt, body.txt and body.html.

After warehouse's email service: a tiny function per email builds its context; this
module only renders. Text parts are not autoescaped, HTML parts are.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field
from email.charset import QP, Charset
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.policy import Policy
from email.utils import formataddr, formatdate, parseaddr
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from codeservice.domain.wording import noun, plural

TEMPLATES = Path(__file__).resolve().parent / "templates"

_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_env.globals.update(plural=plural, noun=noun)  # '1 failed check', '3 failed checks'


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    maintype: str
    subtype: str


DOCX = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")


def render(name: str, context: dict[str, Any]) -> RenderedEmail:
    subject = _env.get_template(f"{name}/subject.txt").render(context)
    return RenderedEmail(
        subject=" ".join(subject.split()),
        text=_env.get_template(f"{name}/body.txt").render(context),
        html=_env.get_template(f"{name}/body.html").render(context),
    )


@dataclass(frozen=True)
class EncodedAttachment:
    """An attachment encoded (base64) once, to be put in several messages by ``compose``."""

    filename: str
    maintype: str
    subtype: str
    body: bytes = field(repr=False)  # the part's body exactly as ``as_bytes`` writes it


def encode_attachment(attachment: Attachment) -> EncodedAttachment:
    # What ``add_attachment`` and ``as_bytes`` make of bytes: base64 in lines of 76.
    body = base64.encodebytes(attachment.content)
    return EncodedAttachment(attachment.filename, attachment.maintype, attachment.subtype, body)


def _quoted_printable_utf8() -> Charset:
    charset = Charset("utf-8")
    charset.body_encoding = QP
    return charset


_TEXT = _quoted_printable_utf8()


class SplicedMessage(MIMEMultipart):
    """A message whose attachments were encoded before: ``as_bytes`` puts each encoded
    body in place of the short stand-in its part carries (only ``as_bytes`` does), rather
    than have the generator write it out again line by line."""

    splices: list[tuple[bytes, bytes]]

    def as_bytes(self, unixfrom: bool = False, policy: Policy | None = None) -> bytes:
        data = super().as_bytes(unixfrom, policy)
        for stand_in, body in self.splices:
            data = data.replace(stand_in, body, 1)
        return data


def compose(
    rendered: RenderedEmail,
    *,
    sender: str,
    to_name: str,
    to_email: str,
    attachments: list[Attachment] | None = None,
    encoded: list[EncodedAttachment] | None = None,
) -> Message:
    """The message: text and HTML alternatives (UTF-8, quoted-printable), then the
    attachments; ``encoded`` ones (made once for several messages) go in as they are.

    Built with the email package's MIME classes under its ``compat32`` policy, which
    keeps each header as the string given rather than parsing it into an object and
    writing it out again: half the CPU of an ``EmailMessage``, and a rotation composes
    an email 1 for every SPoC. So the values are checked here: no line breaks, and
    names and addresses put together by ``formataddr`` (a name that is not ASCII is
    encoded as RFC 2047 asks; an address that is not ASCII is refused)."""
    for value in (sender, to_name, to_email, rendered.subject):
        if "\r" in value or "\n" in value:
            raise ValueError("an email header cannot hold a line break")
    message = SplicedMessage("mixed")
    message.splices = []
    message["From"] = formataddr(parseaddr(sender))
    message["To"] = formataddr((to_name, to_email))
    message["Subject"] = rendered.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    body = MIMEMultipart("alternative")
    for text, subtype in ((rendered.text, "plain"), (rendered.html, "html")):
        part = MIMENonMultipart("text", subtype)
        part.set_payload(text, _TEXT)  # sets the charset and the transfer encoding
        body.attach(part)
    message.attach(body)
    spliced = [(prepared, True) for prepared in encoded or []]
    for prepared, splice in [*((encode_attachment(a), False) for a in attachments or []), *spliced]:
        attached = MIMEBase(prepared.maintype, prepared.subtype)
        attached["Content-Transfer-Encoding"] = "base64"
        filename = prepared.filename
        attached.add_header(
            "Content-Disposition",
            "attachment",
            filename=filename if filename.isascii() else ("utf-8", "", filename),
        )
        if splice:
            stand_in = secrets.token_hex(24) + "\n"  # one line, found nowhere else
            message.splices.append((stand_in.encode("ascii"), prepared.body))
            attached.set_payload(stand_in)
        else:
            attached.set_payload(prepared.body.decode("ascii"))
        message.attach(attached)
    for inner in message.walk():
        if inner is not message:
            del inner["MIME-Version"]  # once, for the whole message
    return message

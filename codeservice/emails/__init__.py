"""Email templates: one folder per email with subject.txt, body.txt and body.html.

After warehouse's email service: a tiny function per email builds its context; this
module only renders. Text parts are not autoescaped, HTML parts are.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate
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


class SplicedMessage(EmailMessage):
    """A message whose attachments were encoded before: ``as_bytes`` puts each encoded
    body in place of the short stand-in its part carries (only ``as_bytes`` does)."""

    splices: list[tuple[bytes, bytes]]

    def as_bytes(self, unixfrom: bool = False, policy: Any = None) -> bytes:
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
) -> EmailMessage:
    """The message; ``encoded`` attachments (made once for several messages) cost a
    splice of bytes in ``as_bytes`` instead of encoding and writing out again."""
    message = SplicedMessage() if encoded else EmailMessage()
    message["From"] = sender
    local, _, domain = to_email.partition("@")
    message["To"] = Address(display_name=to_name, username=local, domain=domain)
    message["Subject"] = rendered.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    for attachment in attachments or []:
        message.add_attachment(
            attachment.content,
            maintype=attachment.maintype,
            subtype=attachment.subtype,
            filename=attachment.filename,
        )
    if isinstance(message, SplicedMessage):
        message.splices = []
        for prepared in encoded or []:
            stand_in = secrets.token_bytes(24)  # 32 base64 characters, one line
            message.add_attachment(
                stand_in,
                maintype=prepared.maintype,
                subtype=prepared.subtype,
                filename=prepared.filename,
            )
            message.splices.append((base64.b64encode(stand_in) + b"\n", prepared.body))
    return message

"""Email templates: one folder per email with subject.txt, body.txt and body.html.

After warehouse's email service: a tiny function per email builds its context; this
module only renders. Text parts are not autoescaped, HTML parts are.
"""

from __future__ import annotations

from dataclasses import dataclass
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


def compose(
    rendered: RenderedEmail,
    *,
    sender: str,
    to_name: str,
    to_email: str,
    attachments: list[Attachment] | None = None,
) -> EmailMessage:
    message = EmailMessage()
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
    return message

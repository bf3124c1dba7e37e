"""Mail as a SPoC receives it: the dispatcher run once against the capture server, and
the messages that arrived, read as a person would (recipient, text, attachment, links)."""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
import threading
from email.message import EmailMessage
from pathlib import Path

from codeservice.bootstrap import Container
from mailer import dispatcher
from mailer.capture import captured

BASE = "http://127.0.0.1:8000"


def send_mail(app: Container) -> None:
    """Run the dispatcher once, in its own thread: Playwright's loop owns this one."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(
                dispatcher.run(
                    app.session_factory,
                    app.smtp_config,
                    app.mail_sealer,
                    once=True,
                    clock=app.now,
                )
            )
        except BaseException as error:  # pragma: no cover - re-raised below
            errors.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


class Inbox:
    def __init__(self, maildir: Path) -> None:
        self.maildir = maildir
        self.seen: set[str] = set()

    def new(self) -> list[EmailMessage]:
        """Messages that arrived since the last call."""
        fresh = []
        for raw in captured(self.maildir):
            message = email.message_from_bytes(raw.as_bytes(), policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            if message["Message-ID"] not in self.seen:
                self.seen.add(message["Message-ID"])
                fresh.append(message)
        return fresh


def to(message: EmailMessage) -> str:
    return email.utils.parseaddr(str(message["To"]))[1]


def body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def attachment(message: EmailMessage) -> bytes:
    [part] = [p for p in message.walk() if p.get_content_disposition() == "attachment"]
    data = part.get_payload(decode=True)
    assert isinstance(data, bytes)
    return data


def link(message: EmailMessage, kind: str) -> str:
    found = re.search(rf"{re.escape(BASE)}(/{kind}/[A-Za-z0-9_-]{{43}})", body(message))
    assert found, f"no /{kind}/ link in the email"
    return found.group(1)

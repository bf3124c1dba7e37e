"""A development SMTP server that keeps every message it receives in a Maildir.

Nothing leaves the machine: point the dispatcher at it (the default settings do) and
read the messages with any mail client that opens a Maildir, or with ``mailbox``.
"""

from __future__ import annotations

import asyncio
import logging
import mailbox
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

log = logging.getLogger(__name__)


def quiet_aiosmtpd() -> None:
    """aiosmtpd's ``mail.log`` logs each session at DEBUG and INFO, message data
    included (documents, unlock codes): only its warnings and errors are kept."""
    logging.getLogger("mail.log").setLevel(logging.WARNING)


class MaildirHandler:
    """An aiosmtpd handler: each message goes into the Maildir, envelope noted on top."""

    def __init__(self, maildir: Path) -> None:
        self.maildir = Path(maildir)
        mailbox.Maildir(self.maildir, create=True)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        envelope_lines = [f"Return-Path: <{envelope.mail_from}>"]
        envelope_lines += [f"Delivered-To: {rcpt}" for rcpt in envelope.rcpt_tos]
        data = ("\r\n".join(envelope_lines) + "\r\n").encode("ascii", "replace") + content
        key = mailbox.Maildir(self.maildir, create=True).add(mailbox.MaildirMessage(data))
        count = len(envelope.rcpt_tos)
        recipients = "recipient" if count == 1 else "recipients"
        log.info("captured message %s for %d %s", key, count, recipients)
        return "250 Message accepted for delivery"


class FreePortController(Controller):
    """aiosmtpd's threaded controller, also on port 0 (the system picks a free port)."""

    def _trigger_server(self) -> None:
        if self.port == 0 and isinstance(self.server, asyncio.Server):
            self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


@contextmanager
def smtp_server(
    handler: Any, host: str = "127.0.0.1", port: int = 0, **smtp_options: Any
) -> Iterator[Controller]:
    """Run an aiosmtpd ``handler`` in a background thread; ``.port`` is where it listens.

    ``smtp_options`` go to aiosmtpd's ``SMTP`` (e.g. ``authenticator``).
    """
    quiet_aiosmtpd()
    controller = FreePortController(handler, hostname=host, port=port, **smtp_options)
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


@contextmanager
def capturing(maildir: Path, host: str = "127.0.0.1", port: int = 0) -> Iterator[Controller]:
    """The capture server, in-process, for tests and demonstrations."""
    with smtp_server(MaildirHandler(maildir), host, port) as controller:
        yield controller


def captured(maildir: Path) -> list[mailbox.MaildirMessage]:
    """Every message in the Maildir, oldest first."""
    box = mailbox.Maildir(maildir, create=True)
    keyed = sorted(box.items(), key=lambda item: (item[1].get_date(), item[0]))
    return [message for _key, message in keyed]


def run_capture(
    maildir: Path,
    host: str = "127.0.0.1",
    port: int = 8025,
    *,
    on_ready: Callable[[str, int], None] | None = None,
) -> None:
    """Serve until SIGTERM or SIGINT."""
    asyncio.run(_serve(MaildirHandler(maildir), host, port, on_ready))


async def _serve(
    handler: MaildirHandler,
    host: str,
    port: int,
    on_ready: Callable[[str, int], None] | None,
) -> None:
    quiet_aiosmtpd()
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    server = await loop.create_server(
        lambda: SMTP(handler, enable_SMTPUTF8=True), host=host, port=port
    )
    bound = server.sockets[0].getsockname()[1]
    log.info("capturing mail on %s:%s into %s", host, bound, handler.maildir)
    if on_ready is not None:
        on_ready(host, bound)
    try:
        await stop.wait()
    finally:
        server.close()
        await server.wait_closed()

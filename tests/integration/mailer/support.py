"""Real SMTP servers for the mailer tests: a recorder, faulty servers, a hang-up server."""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mailer.config import SmtpConfig

SENDER = "Provider Direct BMT <bmt@example.gov.uk>"


class AesGcmSealer:
    """The smallest sealer that satisfies ``mailer.sealer.Sealer``."""

    def __init__(self, key: bytes | None = None) -> None:
        self.key = key or AESGCM.generate_key(bit_length=256)

    def seal(self, plaintext: bytes, *, context: bytes) -> bytes:
        nonce = os.urandom(12)
        return nonce + AESGCM(self.key).encrypt(nonce, plaintext, context)

    def open(self, sealed: bytes, *, context: bytes) -> bytes:
        return AESGCM(self.key).decrypt(sealed[:12], sealed[12:], context)


def message(
    to: str = "spoc@provider.example.org", body: str = "Hello", **headers: str
) -> EmailMessage:
    built = EmailMessage()
    built["From"] = SENDER
    built["To"] = to
    built["Subject"] = headers.pop("subject", "Your access code document")
    for name, value in headers.items():
        built[name.replace("_", "-")] = value
    built.set_content(body)
    return built


def config_for(port: int, **overrides: Any) -> SmtpConfig:
    values: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "mail_from": SENDER,
        "connections": 2,
        "timeout_seconds": 5.0,
        "claim_seconds": 300,
        "max_attempts": 5,
        "poll_seconds": 0.05,
    }
    values.update(overrides)
    return SmtpConfig(**values)


def free_port() -> int:
    """A port nobody listens on (connections to it are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


class Recorder:
    """Accepts everything and remembers it; ``refuse_rcpt`` / ``refuse_data`` make it fail."""

    def __init__(self, refuse_rcpt: str | None = None, refuse_data: str | None = None) -> None:
        self.refuse_rcpt = refuse_rcpt
        self.refuse_data = refuse_data
        self.received: list[Received] = []
        self.refusals = 0
        self._lock = threading.Lock()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.refuse_rcpt:
            with self._lock:
                self.refusals += 1
            return self.refuse_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse_data:
            with self._lock:
                self.refusals += 1
            return self.refuse_data
        parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        with self._lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed))
            number = len(self.received)
        return f"250 2.0.0 Ok: queued as TEST{number}"

    def message_ids(self) -> list[str]:
        with self._lock:
            return [str(r.message["Message-ID"]) for r in self.received]


class Gate(Recorder):
    """A recorder that holds the first message in DATA until ``release`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if not self.entered.is_set():
            self.entered.set()
            await asyncio.to_thread(self.release.wait, 30)
        return await super().handle_DATA(server, session, envelope)


class HangUpServer:
    """Speaks just enough SMTP to start DATA, then drops the connection mid-message."""

    def __init__(self) -> None:
        self.hang_ups = 0

    async def client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 hangup.test ESMTP\r\n")
        while line := await reader.readline():
            verb = line[:4].upper()
            if verb == b"EHLO":
                writer.write(b"250-hangup.test\r\n250 8BITMIME\r\n")
            elif verb == b"DATA":
                writer.write(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                await writer.drain()
                await reader.readline()  # the first line of the message, then gone
                self.hang_ups += 1
                writer.transport.abort()
                return
            elif verb == b"QUIT":
                writer.write(b"221 Bye\r\n")
                await writer.drain()
                writer.close()
                return
            else:
                writer.write(b"250 OK\r\n")
            await writer.drain()


@contextmanager
def raw_server(handler: HangUpServer) -> Iterator[int]:
    """Run ``handler.client`` as an asyncio server in a thread; yield its port."""
    loop = asyncio.new_event_loop()
    started = threading.Event()
    holder: dict[str, Any] = {}

    def serve() -> None:
        asyncio.set_event_loop(loop)
        server = loop.run_until_complete(asyncio.start_server(handler.client, "127.0.0.1", 0))
        holder["server"] = server
        holder["port"] = server.sockets[0].getsockname()[1]
        started.set()
        loop.run_forever()
        server.close()
        loop.run_until_complete(server.wait_closed())
        loop.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert started.wait(10)
    try:
        yield int(holder["port"])
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


def queue(
    sessions: Any,
    sealer: AesGcmSealer,
    now: datetime,
    key: str = "test:1",
    *,
    category: str = "test",
    due_at: datetime | None = None,
    **message_args: str,
) -> int:
    """Queue one message in a transaction of its own; return its outbox id."""
    from mailer import outbox

    with sessions.begin() as session:
        return outbox.enqueue(
            session,
            message(**message_args),
            dedupe_key=key,
            category=category,
            now=now,
            sealer=sealer,
            due_at=due_at,
        )


def entry(sessions: Any, entry_id: int) -> Any:
    from mailer import outbox

    with sessions() as session:
        found = outbox.get(session, entry_id)
    assert found is not None
    return found


class Stall(Recorder):
    """Accepts the first ``accept`` messages, then holds every later one in DATA (never
    answering) until ``release`` is set: a sender killed meanwhile is mid-batch."""

    def __init__(self, accept: int) -> None:
        super().__init__()
        self.accept = accept
        self.release = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            stall = len(self.received) >= self.accept
        if stall:
            await asyncio.to_thread(self.release.wait, 60)
            return "421 4.3.0 closing"
        return await super().handle_DATA(server, session, envelope)


def dispatch_child() -> None:
    """``python -c`` entry for a sender in a process of its own (so a test can kill it):
    argv is the database URL, the sealer key (hex), the SMTP port and the clock."""
    import sys

    from codeservice.storage.db import make_engine
    from mailer import dispatcher

    url, key, port, now = sys.argv[1:5]
    instant = datetime.fromisoformat(now)
    engine = make_engine(url)
    config = config_for(int(port), connections=2, batch_size=10)
    asyncio.run(
        dispatcher.run(
            engine, config, AesGcmSealer(bytes.fromhex(key)), once=True, clock=lambda: instant
        )
    )

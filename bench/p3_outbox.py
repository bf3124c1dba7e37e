"""P3: ``codeservice mail send --once`` against a raw aiosmtplib blast of the same bytes.

    .venv/bin/python bench/p3_outbox.py [--messages 600]      (or: bench/run.py --only P3)

A throwaway service (SQLite in a temporary folder) gets N real messages queued through
the mailer's own API: email 1 as a rotation writes it (text and HTML parts and a real
encrypted access-code document, ~44 KB, attached), one SPoC each. An aiosmtpd server
in a subprocess on 127.0.0.1 takes them and throws the bodies away. Then, in one run:

* the baseline: a fresh Python process that sends the same bytes (opened from the
  outbox beforehand) with aiosmtplib's ``sendmail`` over 10 connections, and nothing
  else;
* ``codeservice mail send --once`` with 10 connections, from process start to exit.

Both are whole processes timed wall-clock from outside, so each pays its own start-up;
the start-up of each with nothing to send is measured too and shown apart. The baseline
is run before and after the command and its mean is taken (the load drifts). The CPU
time of each (user and system) is taken too: on a busy machine it drifts far less than
the wall-clock time, and it is what the two compete for with the SMTP server.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import pickle
import resource
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

CONNECTIONS = 10
SENDER = "Provider Direct BMT <bmt@example.gov.uk>"


@dataclass(frozen=True)
class P3Result:
    messages: int
    message_bytes: int  # mean size of one message as sent
    send_seconds: float  # codeservice mail send --once, whole process
    send_empty_seconds: float  # the same with nothing to send
    blast_seconds: float  # the raw blast, whole process (mean of two)
    blast_empty_seconds: float
    send_cpu_seconds: float = 0.0  # user + system CPU of each, as the times above
    send_empty_cpu_seconds: float = 0.0
    blast_cpu_seconds: float = 0.0
    blast_empty_cpu_seconds: float = 0.0


# --- the sink: a real SMTP server that discards what it gets ------------------------------


def sink_child() -> None:
    from aiosmtpd.controller import Controller

    class Discard:
        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
            return "250 2.0.0 Ok: discarded"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    controller = Controller(Discard(), hostname="127.0.0.1", port=port)
    controller.start()
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    sys.stdin.read()  # until the parent closes it
    controller.stop()


class Sink:
    def __enter__(self) -> int:
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, __file__, "--sink"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        return int(self.process.stdout.readline())

    def __exit__(self, *exc: object) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# --- the baseline: aiosmtplib alone ------------------------------------------------------


def blast_child(path: str, port: int) -> None:
    import aiosmtplib

    messages: list[tuple[list[str], bytes]] = pickle.loads(Path(path).read_bytes())  # noqa: S301
    pending = list(reversed(messages))

    async def lane() -> None:
        smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=port)
        await smtp.connect()
        while pending:
            recipients, data = pending.pop()
            await smtp.sendmail("bmt@example.gov.uk", recipients, data)
        await smtp.quit()

    async def main() -> None:
        await asyncio.gather(*(lane() for _ in range(CONNECTIONS)))

    asyncio.run(main())


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """The command's wall-clock seconds and its CPU seconds (user and system)."""
    cpu = _children_cpu()
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)  # noqa: S603
    return time.perf_counter() - started, _children_cpu() - cpu


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# --- filling the outbox ------------------------------------------------------------------


def attachment() -> bytes:
    """One real access-code document, built and encrypted as a rotation does."""
    from documents import BASE

    from codeservice.documents import build_document, encrypt_document

    return encrypt_document(build_document(BASE), "unlock-bench-1")


def fill(env: dict[str, str], count: int) -> None:
    from codeservice.bootstrap import bootstrap
    from codeservice.emails import DOCX, Attachment, RenderedEmail, compose
    from codeservice.services.operations.audit_verify import anchor_trail
    from codeservice.services.operations.setup import initialise
    from mailer import outbox

    app = bootstrap(env)
    initialise(app.installation)
    anchor_trail(  # as in service: appends move it
        app.read_uow,
        app.uow,
        app.keyring,
        app.settings.audit_anchor_file,
        actor="bench",
        source="bench",
        now=app.now(),
    )
    document = Attachment("access-code-B00001.docx", attachment(), *DOCX)
    paragraph = (
        "Your organisation's access code document for the next cycle is attached. "
        "Open it with the unlock code we send in a separate email. "
    )
    now = datetime.now(UTC)
    try:
        for start in range(0, count, 200):
            with app.session_factory.begin() as session:
                for number in range(start + 1, min(count, start + 200) + 1):
                    rendered = RenderedEmail(
                        subject=f"Access code document for Bench Provider {number} Ltd",
                        text=paragraph * 12,
                        html="<p>" + paragraph * 12 + "</p>" * 1,
                    )
                    message = compose(
                        rendered,
                        sender=SENDER,
                        to_name=f"Spoc of {number}",
                        to_email=f"spoc1.p{number}@example.org",
                        attachments=[document],
                    )
                    outbox.enqueue(
                        session,
                        message,
                        dedupe_key=f"document:bench-{number}",
                        category="document",
                        now=now,
                        sealer=app.mail_sealer,
                    )
    finally:
        app.close()


def stored_messages(env: dict[str, str]) -> list[tuple[list[str], bytes]]:
    """What is queued, opened: (envelope recipients, message bytes)."""
    from codeservice.bootstrap import bootstrap
    from mailer import outbox

    app = bootstrap(env)
    try:
        with app.session_factory() as session:
            found = outbox.entries(session, state="queued", limit=1_000_000)
            return [
                (
                    list(entry.recipients),
                    app.mail_sealer.open(
                        entry.sealed_message or b"", context=outbox.seal_context(entry.dedupe_key)
                    ),
                )
                for entry in found
            ]
    finally:
        app.close()


def sent_count(env: dict[str, str]) -> int:
    from codeservice.bootstrap import bootstrap
    from mailer import outbox

    app = bootstrap(env)
    try:
        with app.session_factory() as session:
            return outbox.backlog(session, datetime.now(UTC))["sent"]
    finally:
        app.close()


def p3_run(count: int, base_env: dict[str, str]) -> P3Result:
    command = str(Path(sys.executable).with_name("codeservice"))
    with tempfile.TemporaryDirectory(prefix="codeservice-bench-") as home, Sink() as port:
        env = dict(
            base_env,
            CODESERVICE_HOME=home,
            CODESERVICE_SMTP_HOST="127.0.0.1",
            CODESERVICE_SMTP_PORT=str(port),
            CODESERVICE_SMTP_CONNECTIONS=str(CONNECTIONS),
            CODESERVICE_MAIL_FROM=SENDER,
        )
        fill(env, count)
        messages = stored_messages(env)
        assert len(messages) == count, f"{len(messages)} queued, expected {count}"
        path = Path(home) / "blast.pickle"
        path.write_bytes(pickle.dumps(messages))
        empty = Path(home) / "empty.pickle"
        empty.write_bytes(pickle.dumps([]))
        blast = [sys.executable, __file__, "--blast", str(path), str(port)]
        blast_empty = timed([sys.executable, __file__, "--blast", str(empty), str(port)], env)
        before = timed(blast, env)
        send = timed([command, "mail", "send", "--once"], env)
        after = timed(blast, env)
        sent = sent_count(env)
        assert sent == count, f"mail send --once sent {sent} of {count}"
        send_empty = timed([command, "mail", "send", "--once"], env)
    return P3Result(
        messages=count,
        message_bytes=sum(len(data) for _, data in messages) // count,
        send_seconds=send[0],
        send_empty_seconds=send_empty[0],
        blast_seconds=(before[0] + after[0]) / 2,
        blast_empty_seconds=blast_empty[0],
        send_cpu_seconds=send[1],
        send_empty_cpu_seconds=send_empty[1],
        blast_cpu_seconds=(before[1] + after[1]) / 2,
        blast_empty_cpu_seconds=blast_empty[1],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=600)
    parser.add_argument("--sink", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--blast", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sink:
        sink_child()
        return
    if args.blast:
        blast_child(args.blast[0], int(args.blast[1]))
        return
    env = {key: value for key, value in os.environ.items() if not key.startswith("CODESERVICE_")}
    env["CODESERVICE_LOG_LEVEL"] = "WARNING"
    result = p3_run(args.messages, env)
    load = os.getloadavg()
    print(result)
    cpu_net = (result.blast_cpu_seconds - result.blast_empty_cpu_seconds) / (
        result.send_cpu_seconds - result.send_empty_cpu_seconds
    )
    print(
        f"ratio {result.blast_seconds / result.send_seconds:.2f}x; CPU "
        f"{result.send_cpu_seconds:.2f} s against {result.blast_cpu_seconds:.2f} s "
        f"({result.blast_cpu_seconds / result.send_cpu_seconds:.2f}x, net of start-up "
        f"{cpu_net:.2f}x); load {load[0]:.2f}"
    )


if __name__ == "__main__":
    main()

"""`make demo`: the monthly job end to end on the embedded default.

Runs the real commands (each is echoed) against SQLite in ./var and the built-in SMTP
capture server, then shows where the emails are and one SPoC's acknowledgement link.
"""

from __future__ import annotations

import email
import email.policy
import mailbox
import os
import re
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "codeservice"]
ENV = dict(os.environ)
ENV.setdefault("CODESERVICE_HOME", str(ROOT / "var"))
HOME = Path(ENV["CODESERVICE_HOME"])
SMTP_PORT = int(ENV.setdefault("CODESERVICE_SMTP_PORT", "8025"))


# Bold headings on a terminal; plain text in a log file or under NO_COLOR.
BOLD, PLAIN = (
    ("\033[1m", "\033[0m") if sys.stdout.isatty() and not os.environ.get("NO_COLOR") else ("", "")
)


def step(title: str) -> None:
    print(f"\n{BOLD}== {title}{PLAIN}", flush=True)


def run(*args: str, capture: bool = False) -> str:
    print(f"$ codeservice {shlex.join(args)}", flush=True)
    result = subprocess.run(
        [*CLI, *args], env=ENV, cwd=ROOT, text=True, capture_output=capture, check=False
    )
    if result.returncode != 0:
        if capture:
            sys.stderr.write(result.stdout + result.stderr)
        sys.exit(f"demo stopped: `codeservice {shlex.join(args)}` exited {result.returncode}")
    return result.stdout if capture else ""


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def start_capture() -> subprocess.Popen[bytes] | None:
    if port_open(SMTP_PORT):
        print(f"(an SMTP server is already listening on 127.0.0.1:{SMTP_PORT}; using it)")
        return None
    print(f"$ codeservice mail capture --port {SMTP_PORT} &", flush=True)
    server = subprocess.Popen(
        [*CLI, "mail", "capture", "--port", str(SMTP_PORT)],
        env=ENV,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        if port_open(SMTP_PORT):
            return server
        time.sleep(0.1)
    server.terminate()
    sys.exit(f"demo stopped: the capture server did not start on port {SMTP_PORT}")


def next_cycle() -> str:
    out = run("cycles", "--json", capture=True)
    import json
    from datetime import datetime

    now = datetime.now().astimezone()
    for entry in json.loads(out):
        if datetime.fromisoformat(entry["issue_at"]) > now:
            return str(entry["cycle"])
    return str(json.loads(out)[-1]["cycle"])


def first_ack_link(maildir: Path) -> tuple[str, str] | None:
    box = mailbox.Maildir(maildir, create=False)
    for key in sorted(box.keys()):
        message = email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
        for part in message.walk():
            if part.get_content_type() == "text/plain":
                found = re.search(r"https?://\S+/ack/[A-Za-z0-9_-]+", part.get_content())
                if found:
                    return str(message["To"]), found.group(0)
    return None


def main() -> None:
    step("1. Create the database and the keys")
    run("init")
    step("2. Import the provider register")
    run("providers", "import", "config/providers.example.csv")
    run("providers", "list")
    step("3. The calendar")
    run("cycles")
    cycle = next_cycle()
    server = start_capture()
    try:
        step(
            f"4. Issue cycle {cycle}: a code, a password-protected document, email 1 to every SPoC"
        )
        run("rotate", cycle)
        step("5. Send the queued email")
        run("mail", "send", "--once")
        step(f"6. Where cycle {cycle} stands")
        run("status", cycle)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
    maildir = HOME / "mail"
    count = len(mailbox.Maildir(maildir, create=False)) if maildir.exists() else 0
    step("Done")
    print(f"{count} emails were delivered to the capture mailbox {maildir}/new/")
    found = first_ack_link(maildir) if count else None
    if found:
        to, link = found
        print(f"\nOne SPoC's acknowledgement link ({to}):\n\n    {link}\n")
        print("To follow it as that SPoC would:")
        print("    .venv/bin/codeservice mail capture &   # keep capturing email")
        print("    .venv/bin/codeservice serve            # web app, scheduler and mail worker")
        print("  open the link and press 'Confirm receipt': the unlock code email arrives")
        print(f"  within seconds in {maildir}/new/ (the newest file).")


if __name__ == "__main__":
    main()

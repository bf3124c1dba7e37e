"""``codeservice web`` as a real process: it serves, and its log holds no token."""

from __future__ import annotations

import queue
import re
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

from codeservice.bootstrap import Container
from tests.integration.web.links import make_ack_link

pytestmark = pytest.mark.slow

# The command as the CLI registers it, in an app of its own.
SCRIPT = """
import typer
from codeservice.cli.web import register

app = typer.Typer()

@app.callback()
def main() -> None:
    pass

register(app)
app()
"""


def _read_lines(stream: object, lines: queue.Queue[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        lines.put(line)


def test_the_web_command_serves_and_logs_no_token(
    app_env: dict[str, str], container: Container, tmp_path: Path
) -> None:
    link = make_ack_link(container)
    script = tmp_path / "web_command.py"
    script.write_text(SCRIPT)
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, str(script), "web", "--host", "127.0.0.1", "--port", "0"],
        env=app_env,
        cwd=Path(__file__).resolve().parents[3],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=_read_lines, args=(process.stdout, lines), daemon=True)
    reader.start()
    output: list[str] = []
    try:
        port = None
        while port is None:
            line = lines.get(timeout=60)
            output.append(line)
            found = re.search(r"running on http://127\.0\.0\.1:(\d+)", line)
            port = int(found.group(1)) if found else None
        base = f"http://127.0.0.1:{port}"
        with urllib.request.urlopen(f"{base}/healthz", timeout=30) as response:  # noqa: S310
            assert response.read() == b'{"status":"ok"}'
        with urllib.request.urlopen(f"{base}{link.path}", timeout=30) as response:  # noqa: S310
            assert b"Confirm receipt" in response.read()
            assert response.headers["Server"] is None
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
        reader.join(timeout=60)
        if process.stdout is not None:
            process.stdout.close()
    while not lines.empty():
        output.append(lines.get())
    logged = "".join(output)

    assert '"GET /healthz HTTP/1.1" 200' in logged
    assert '"GET /ack/… HTTP/1.1" 200' in logged
    assert link.token not in logged

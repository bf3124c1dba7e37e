"""Open a document in real LibreOffice from a test, the way a SPoC would.

``soffice --convert-to`` cannot take a password and exits 0 even when it fails, so the
work is done by ``uno_open.py`` under Debian's Python (which has ``python3-uno``). The
password goes to it on stdin, never on a command line that other users can read.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

SYSTEM_PYTHON = "/usr/bin/python3"
SCRIPT = Path(__file__).with_name("uno_open.py")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@dataclass(frozen=True)
class LibreOfficeResult:
    opened: bool
    text: str = ""
    pages: int = 0
    error: str = ""


def open_with_libreoffice(
    path: Path, password: str | None, pdf_out: Path | None = None, timeout: float = 120
) -> LibreOfficeResult:
    """Load ``path`` in a fresh headless LibreOffice; optionally export it to ``pdf_out``."""
    request = {
        "path": str(Path(path).resolve()),
        "password": password,
        "pdf_out": None if pdf_out is None else str(Path(pdf_out).resolve()),
        "timeout": timeout,
    }
    # The venv's variables would point Debian's Python at the wrong packages.
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}
    }
    process = subprocess.Popen(  # noqa: S603 - fixed interpreter and script
        [SYSTEM_PYTHON, str(SCRIPT)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(json.dumps(request), timeout=timeout + 30)
    except subprocess.TimeoutExpired:
        # The script has its own deadline; this is the last resort. soffice dies with it.
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise RuntimeError(f"uno_open.py did not finish within {timeout + 30} s") from None
    if process.returncode != 0 or not stdout.strip():
        raise RuntimeError(f"uno_open.py failed ({process.returncode}): {stderr.strip()}")
    answer = json.loads(stdout.strip().splitlines()[-1])
    return LibreOfficeResult(
        opened=bool(answer["opened"]),
        text=answer.get("text", ""),
        pages=int(answer.get("pages", 0)),
        error=answer.get("error", ""),
    )


def pdf_page_count(pdf: Path) -> int:
    info = subprocess.run(  # noqa: S603
        ["/usr/bin/pdfinfo", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    for line in info.splitlines():
        if line.startswith("Pages:"):
            return int(line.split(":", 1)[1])
    raise RuntimeError(f"pdfinfo gave no page count for {pdf}")


def pdf_to_png(pdf: Path, png: Path, resolution: int = 110) -> Path:
    """The first page of ``pdf`` as ``png`` (pdftoppm adds the suffix itself)."""
    stem = png.with_suffix("")
    subprocess.run(  # noqa: S603
        ["/usr/bin/pdftoppm", "-png", "-r", str(resolution), "-singlefile", str(pdf), str(stem)],
        check=True,
        capture_output=True,
    )
    return stem.with_suffix(".png")

"""Open a document in a real, headless LibreOffice, as a person with the password would.

Run with Debian's ``/usr/bin/python3`` (it has ``python3-uno``), not the project's venv.
Reads one JSON object on stdin, so the password never shows in a process list:

    {"path": "/abs/file.docx", "password": "..." or null, "pdf_out": "/abs/out.pdf" or null,
     "timeout": 90}

and prints one JSON object on stdout:

    {"opened": true, "text": "...", "pages": 1}   or   {"opened": false, "error": "..."}

LibreOffice runs with a throwaway profile and a private pipe, so runs never share state,
and is always killed at the end. No interaction handler is passed: with none, a missing
or wrong password makes the load fail at once instead of waiting for someone to type.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import uno  # type: ignore[import-not-found]
from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]
from com.sun.star.connection import NoConnectException  # type: ignore[import-not-found]

PROGRAM = Path("/usr/lib/libreoffice/program")
# soffice.bin asks to be started again after it has set up a new profile (oosplash,
# which we bypass so that soffice.bin is our own child, would do this for us).
RESTART_REQUESTED = 81


class Office:
    """One soffice.bin with a private profile and pipe; killed on stop or on deadline."""

    def __init__(self, timeout: float) -> None:
        self.profile = Path(tempfile.mkdtemp(prefix="codeservice-lo-"))
        self.pipe = f"codeservice-{uuid.uuid4().hex}"
        self.process: subprocess.Popen[bytes] | None = None
        self.timed_out = False
        # A UNO call that blocks cannot be interrupted from Python, but killing soffice
        # makes it fail at once; the cleanup then runs as for any other failure.
        self._watchdog = threading.Timer(timeout, self._on_deadline)
        self._watchdog.daemon = True

    def start_and_connect(self) -> Any:
        self._watchdog.start()
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext(
            "com.sun.star.bridge.UnoUrlResolver", local
        )
        self.process = self._spawn()
        while True:
            status = self.process.poll()
            if status == RESTART_REQUESTED and not self.timed_out:
                self.process = self._spawn()
            elif status is not None:
                raise RuntimeError(f"LibreOffice exited early with status {status}")
            try:
                return resolver.resolve(
                    f"uno:pipe,name={self.pipe};urp;StarOffice.ComponentContext"
                )
            except NoConnectException:
                time.sleep(0.25)

    def stop(self) -> None:
        self._watchdog.cancel()
        process = self.process
        if process is not None and process.poll() is None:
            self._kill(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._kill(signal.SIGKILL)
                process.wait()
        shutil.rmtree(self.profile, ignore_errors=True)

    def _spawn(self) -> subprocess.Popen[bytes]:
        binary = PROGRAM / "soffice.bin"
        command = [
            str(binary) if binary.exists() else shutil.which("soffice") or "soffice",
            "--headless",
            "--invisible",
            "--nologo",
            "--norestore",
            "--nodefault",
            "--nolockcheck",
            "--nofirststartwizard",
            f"-env:UserInstallation={self.profile.as_uri()}",
            f"--accept=pipe,name={self.pipe};urp;StarOffice.ComponentContext",
        ]
        setpriv = shutil.which("setpriv")
        if setpriv:  # if this script dies, even by SIGKILL, soffice dies with it
            command = [setpriv, "--pdeathsig", "KILL", *command]
        return subprocess.Popen(  # noqa: S603 - a fixed command; only our own names in it
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def _on_deadline(self) -> None:
        self.timed_out = True
        self._kill(signal.SIGKILL)

    def _kill(self, signum: int) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signum)


def _props(**values: Any) -> tuple[Any, ...]:
    result = []
    for name, value in values.items():
        prop = PropertyValue()
        prop.Name, prop.Value = name, value
        result.append(prop)
    return tuple(result)


def _text_of(document: Any) -> str:
    """Body paragraphs and every table cell, in document order."""
    parts: list[str] = []
    enumeration = document.getText().createEnumeration()
    while enumeration.hasMoreElements():
        element = enumeration.nextElement()
        if element.supportsService("com.sun.star.text.TextTable"):
            for row in element.getDataArray():
                parts.append("\t".join(str(cell) for cell in row))
        else:
            parts.append(element.getString())
    return "\n".join(parts)


def _page_count(document: Any) -> int:
    cursor = document.getCurrentController().getViewCursor()
    cursor.jumpToLastPage()
    return int(cursor.getPage())


def _open(request: dict[str, Any], context: Any) -> dict[str, Any]:
    desktop = context.ServiceManager.createInstanceWithContext(
        "com.sun.star.frame.Desktop", context
    )
    options: dict[str, Any] = {"Hidden": True, "ReadOnly": True}
    if request.get("password") is not None:
        options["Password"] = request["password"]
    url = Path(request["path"]).resolve().as_uri()
    try:
        document = desktop.loadComponentFromURL(url, "_blank", 0, _props(**options))
    except Exception as exc:  # any UNO failure to load means "refused"
        return {"opened": False, "error": f"{type(exc).__name__}: {getattr(exc, 'Message', exc)}"}
    if document is None:
        return {"opened": False, "error": "LibreOffice returned no document"}
    try:
        if not document.supportsService("com.sun.star.text.TextDocument"):
            return {"opened": False, "error": "opened, but not as a text document"}
        result: dict[str, Any] = {
            "opened": True,
            "text": _text_of(document),
            "pages": _page_count(document),
        }
        if request.get("pdf_out"):
            pdf_url = Path(request["pdf_out"]).resolve().as_uri()
            document.storeToURL(pdf_url, _props(FilterName="writer_pdf_Export"))
        return result
    finally:
        document.close(True)


def main() -> int:
    request = json.loads(sys.stdin.read())
    office = Office(timeout=float(request.get("timeout", 90)))
    try:
        result = _open(request, office.start_and_connect())
    except Exception as exc:  # report, never hang or leave soffice behind
        error = "timed out" if office.timed_out else f"{type(exc).__name__}: {exc}"
        result = {"opened": False, "error": error}
    finally:
        office.stop()
    if office.timed_out:
        result = {"opened": False, "error": "timed out"}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

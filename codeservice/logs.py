"""Log lines as a person reads them, or one JSON object a line for a log pipeline.

``CODESERVICE_LOG_FORMAT`` chooses: ``human`` (the default), ``json``, or ``auto`` (JSON
when stderr is not a terminal). A JSON line holds ``time`` (UTC, ISO 8601), ``level``,
``logger``, ``event`` (the message), ``request_id`` and ``actor``; a traceback goes in
``exception``. The request id and the actor come from the context of the request (or
command) being served, set by the web app's request log and by whoever names the actor.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
from contextvars import ContextVar, Token
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TextIO

HUMAN_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


@dataclass
class LogContext:
    """What every line logged while serving one request (or command) carries.

    Mutable on purpose: the actor is known only once a route has read the session or
    token, possibly in another thread, which sees the same object."""

    request_id: str | None = None
    actor: str | None = None


_context: ContextVar[LogContext | None] = ContextVar("codeservice_log_context", default=None)


def request_id_from(header: str | None) -> str:
    """The caller's ``X-Request-ID`` if it is short and plain, or a new one."""
    if header is not None and _REQUEST_ID.fullmatch(header):
        return header
    return secrets.token_hex(8)


def bind(request_id: str | None = None, actor: str | None = None) -> Token[LogContext | None]:
    """Start a context (a request); undo with ``unbind``."""
    return _context.set(LogContext(request_id, actor))


def unbind(token: Token[LogContext | None]) -> None:
    _context.reset(token)


def set_actor(actor: str) -> None:
    """Name who is acting, for the lines logged from now on in this context."""
    current = _context.get()
    if current is None:
        _context.set(LogContext(None, actor))
    else:
        current.actor = actor


def current() -> LogContext:
    return _context.get() or LogContext()


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        context = current()
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
            "request_id": context.request_id,
            "actor": context.actor,
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class HumanFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__(HUMAN_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        request_id = current().request_id
        return text if request_id is None else f"{text} [request {request_id}]"


def use_json(log_format: str, stream: TextIO) -> bool:
    if log_format == "auto":
        isatty = getattr(stream, "isatty", None)
        return not (isatty is not None and isatty())
    return log_format == "json"


_installed: logging.Handler | None = None


def configure(level: str, log_format: str, stream: TextIO | None = None) -> None:
    """Send log lines to ``stream`` (stderr) in the chosen format, as
    ``logging.basicConfig`` does: not when the root logger has handlers of others."""
    global _installed
    stream = stream or sys.stderr
    root = logging.getLogger()
    if _installed is not None:
        root.removeHandler(_installed)
        _installed = None
    if not root.handlers:
        handler = logging.StreamHandler(stream)
        handler.setFormatter(JsonFormatter() if use_json(log_format, stream) else HumanFormatter())
        root.addHandler(handler)
        root.setLevel(level)
        _installed = handler
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # aiosmtpd logs each session, message data included, at DEBUG and INFO.
    logging.getLogger("mail.log").setLevel(logging.WARNING)

"""The commands of one message as they go on the wire: MAIL FROM, RCPT TO and DATA.

aiosmtplib's ``data`` runs two regular expressions over every message (line ends to
CRLF, then a dot before each line that starts with one): most of the client's CPU for
a 45 KB message. The stored bytes end their lines with LF alone (or, if written so,
already with CRLF), so ``bytes.replace`` gives the same bytes in a fraction of the
time; the regular expression is kept for a message with mixed line ends. Its ``mail``
and ``rcpt`` parse each address again with the email package's parser (a fifth of the
rest), where the outbox's are bare addresses already. What goes is byte for byte what
aiosmtplib sends (property tests hold it to it), and so are the errors raised.
"""

from __future__ import annotations

import re

import aiosmtplib
from aiosmtplib import (
    SMTPDataError,
    SMTPRecipientRefused,
    SMTPResponse,
    SMTPSenderRefused,
    SMTPServerDisconnected,
    SMTPStatus,
)
from aiosmtplib.email import quote_address

_LINE_ENDS = re.compile(rb"\r\n|\n|\r(?!\n)")  # aiosmtplib's, for mixed line ends
_END_OF_DATA = b".\r\n"
# A bare address that aiosmtplib's parser gives back as it is (dot-atoms, ASCII).
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*", re.ASCII)


def quoted(address: str) -> bytes:
    """``<address>`` as aiosmtplib's ``quote_address`` makes it: at once for a plain
    address, through its parser (which also refuses what cannot go) for any other."""
    if _PLAIN_ADDRESS.fullmatch(address):
        return b"<" + address.encode("ascii") + b">"
    return quote_address(address).encode("ascii")


async def mail_from(smtp: aiosmtplib.SMTP, sender: str, options: list[str]) -> SMTPResponse:
    """MAIL FROM, as aiosmtplib's ``mail`` sends it (the session already greeted)."""
    response = await smtp.execute_command(
        b"MAIL", b"FROM:" + quoted(sender), *(option.encode("ascii") for option in options)
    )
    if response.code != SMTPStatus.completed:
        raise SMTPSenderRefused(response.code, response.message, sender)
    return response


async def rcpt_to(smtp: aiosmtplib.SMTP, recipient: str) -> SMTPResponse:
    """RCPT TO, as aiosmtplib's ``rcpt`` sends it."""
    response = await smtp.execute_command(b"RCPT", b"TO:" + quoted(recipient))
    if response.code not in (SMTPStatus.completed, SMTPStatus.will_forward):
        raise SMTPRecipientRefused(response.code, response.message, recipient)
    return response


def as_sent(data: bytes) -> bytes:
    """``data`` with every line ending CRLF (a lone CR or LF made CRLF) and a CRLF at
    the end: what DATA sends before the dots are doubled, so its length is the SIZE
    announced (RFC 1870)."""
    crs = data.count(b"\r")
    if not crs:
        lines = data.replace(b"\n", b"\r\n")
    elif crs == data.count(b"\n") == data.count(b"\r\n"):
        lines = data
    else:
        lines = _LINE_ENDS.sub(b"\r\n", data)
    return lines if lines.endswith(b"\r\n") else lines + b"\r\n"


def dot_stuffed(lines: bytes) -> bytes:
    """``as_sent`` bytes with a dot put before each line that starts with one
    (RFC 5321 4.5.2), and the end-of-data line after them."""
    stuffed = lines.replace(b"\n.", b"\n..")
    if stuffed.startswith(b"."):
        return b"." + stuffed + _END_OF_DATA
    return stuffed + _END_OF_DATA


async def send_data(smtp: aiosmtplib.SMTP, lines: bytes) -> SMTPResponse:
    """DATA, then ``lines`` (from ``as_sent``) in one write: what aiosmtplib's ``data``
    does, without its regular expressions. Errors as aiosmtplib raises them: a refusal
    is an ``SMTPDataError`` (the session stays usable); a dropped connection or a
    timeout closes it."""
    start = await smtp.execute_command(b"DATA")
    if start.code != SMTPStatus.start_input:
        raise SMTPDataError(start.code, start.message)
    protocol = smtp.protocol
    if protocol is None:
        raise SMTPServerDisconnected("Connection lost")
    try:
        # No await between the write and read_response, which marks the answer as
        # expected before anything can arrive.
        protocol.write(dot_stuffed(lines))
        response = await protocol.read_response(timeout=smtp.timeout)
    except BaseException:
        smtp.close()  # what went of the message is unknown: the session is no use
        raise
    if response.code != SMTPStatus.completed:
        raise SMTPDataError(response.code, response.message)
    return response

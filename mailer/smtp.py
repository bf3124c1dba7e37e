"""Talking to the SMTP server: one reusable connection per lane, and what errors mean."""

from __future__ import annotations

import email
import email.policy
import logging
import ssl
import time
from collections.abc import Awaitable, Callable, Sequence
from enum import StrEnum

import aiosmtplib
from aiosmtplib import (
    SMTPAuthenticationError,
    SMTPConnectResponseError,
    SMTPException,
    SMTPHeloError,
    SMTPNotSupported,
    SMTPRecipientRefused,
    SMTPRecipientsRefused,
    SMTPResponse,
    SMTPResponseException,
)

from mailer.config import SmtpConfig
from mailer.wire import as_sent, mail_from, rcpt_to, send_data

log = logging.getLogger(__name__)

_IDLE_CHECK_SECONDS = 5.0
# Whether a message may still go, answered while its envelope is sent.
Proceed = Awaitable[bool]
# What the server made of a message: the recipients it refused, and its answer to DATA.
Sent = tuple[dict[str, SMTPResponse], str]


class Verdict(StrEnum):
    TEMPORARY = "temporary"  # try again later, with backoff
    PERMANENT = "permanent"  # this message will never go as it is


class SmtpConfigurationError(Exception):
    """The server refuses us as configured (bad login, no STARTTLS, untrusted
    certificate): no message can go until an operator changes a setting."""


class SmtpUnavailable(ConnectionError):
    """The server could not be reached or would not start a session (temporary)."""


def classify(exc: BaseException) -> Verdict:
    """5xx answers about a message are permanent; everything else is worth a retry.

    Answers that refuse the whole session (a 5xx greeting or EHLO) are not about the
    message, so they stay temporary: the message may go once the server is fixed.
    """
    if isinstance(exc, SMTPRecipientsRefused):
        codes = [refusal.code for refusal in exc.recipients]
        permanent = bool(codes) and all(500 <= code < 600 for code in codes)
        return Verdict.PERMANENT if permanent else Verdict.TEMPORARY
    if isinstance(exc, SMTPConnectResponseError | SMTPHeloError):
        return Verdict.TEMPORARY
    if isinstance(exc, SMTPResponseException):
        return Verdict.PERMANENT if 500 <= exc.code < 600 else Verdict.TEMPORARY
    if isinstance(exc, SMTPNotSupported | ValueError):
        return Verdict.PERMANENT  # e.g. a non-ASCII address the server cannot take
    return Verdict.TEMPORARY


def smtp_code(exc: BaseException) -> int | None:
    if isinstance(exc, SMTPRecipientsRefused):
        return max((refusal.code for refusal in exc.recipients), default=None)
    if isinstance(exc, SMTPResponseException):
        return exc.code
    return None


def describe(exc: BaseException) -> str:
    """The error as an operator should see it (stored; may name a recipient)."""
    if isinstance(exc, SMTPRecipientsRefused):
        return "; ".join(f"{r.code} {r.message} ({r.recipient})" for r in exc.recipients)
    if isinstance(exc, SMTPResponseException):
        return f"{exc.code} {exc.message}"
    if isinstance(exc, SmtpUnavailable):
        return str(exc)
    text = str(exc) or "no detail"
    return f"{type(exc).__name__}: {text}"


async def _transmit(
    smtp: aiosmtplib.SMTP, sender: str, recipients: list[str], data: bytes, proceed: Proceed
) -> Sent | None:
    """The bytes as they are (only line ends and dots fixed, ``mailer.wire``), unless
    this server cannot take them so: non-ASCII addresses need SMTPUTF8, and 8-bit data a
    server without 8BITMIME. Then aiosmtplib parses and encodes the message for it.
    None: ``proceed`` said no, and nothing was sent."""
    if (sender + "".join(recipients)).isascii():
        if data.isascii():
            return await _envelope_then_data(smtp, sender, recipients, data, [], proceed)
        if smtp.supports_extension("8bitmime"):
            options = ["BODY=8BITMIME"]
            return await _envelope_then_data(smtp, sender, recipients, data, options, proceed)
    if not await proceed:
        return None
    message = email.message_from_bytes(data, policy=email.policy.default)
    return await smtp.send_message(message, sender=sender, recipients=recipients)


async def _envelope_then_data(
    smtp: aiosmtplib.SMTP,
    sender: str,
    recipients: list[str],
    data: bytes,
    options: list[str],
    proceed: Proceed,
) -> Sent | None:
    """What aiosmtplib's ``sendmail`` does, except that ``proceed`` (whether the message
    may still go) is answered while MAIL FROM and RCPT TO go, and DATA follows only if
    it may; if not, the envelope is reset and None returned."""
    lines = as_sent(data)
    if smtp.supports_extension("size"):
        options = [f"SIZE={len(lines)}", *options]
    refused: list[SMTPRecipientRefused] = []
    try:
        await _greet(smtp)  # as aiosmtplib's ``mail`` does, if the session needs it
        await mail_from(smtp, sender, options)
        for recipient in recipients:
            try:
                await rcpt_to(smtp, recipient)
            except SMTPRecipientRefused as exc:
                refused.append(exc)
        if len(refused) == len(recipients):
            raise SMTPRecipientsRefused(refused)
    except (SMTPResponseException, SMTPRecipientsRefused):
        await _reset(smtp)
        raise
    if not await proceed:
        await _reset(smtp)
        return None
    response = await send_data(smtp, lines)  # a refusal leaves the session usable
    return {r.recipient: SMTPResponse(r.code, r.message) for r in refused}, response.message


async def _greet(smtp: aiosmtplib.SMTP) -> None:
    """EHLO, or HELO to a server without ESMTP (as aiosmtplib does before a message)."""
    if not smtp.is_ehlo_or_helo_needed:
        return
    try:
        await smtp.ehlo()
    except SMTPHeloError:
        if not smtp.is_connected:
            raise
        await smtp.helo()


async def _reset(smtp: aiosmtplib.SMTP) -> None:
    """RSET; a session that will not reset is closed (the next message opens another)."""
    try:
        await smtp.rset()
    except (SMTPException, OSError):
        smtp.close()


def _counter() -> Callable[[float, int | None], None]:
    from mailer.metrics import observe_send  # prometheus-client: loaded only to count

    return observe_send


class Lane:
    """One SMTP connection, reused message after message; reconnects when it drops.

    ``counted``: each send's time and the class of its answer go to the metrics
    (``mailer.metrics``); without it they go nowhere, and prometheus-client is not
    loaded for them."""

    def __init__(self, config: SmtpConfig, *, counted: bool = True) -> None:
        self._config = config
        self._smtp: aiosmtplib.SMTP | None = None
        self._last_used = 0.0
        self._count = _counter() if counted else None

    async def send(self, data: bytes, recipients: Sequence[str], proceed: Proceed) -> Sent | None:
        """Send one message, its bytes as they are; return refused recipients and the
        server's answer, or None when ``proceed``, awaited once the envelope is sent,
        says the message must not go (then the server gets no DATA).

        Its time and the class of the answer go to the metrics, if ``counted``."""
        started = time.perf_counter()
        try:
            result = await self._send(data, recipients, proceed)
        except Exception as exc:  # not a cancellation: that is no answer of the server's
            if self._count is not None:
                self._count(time.perf_counter() - started, smtp_code(exc))
            raise
        if result is not None and self._count is not None:
            self._count(time.perf_counter() - started, 250)
        return result

    async def _send(self, data: bytes, recipients: Sequence[str], proceed: Proceed) -> Sent | None:
        smtp = await self._connection()
        try:
            sender = self._config.envelope_sender
            result = await _transmit(smtp, sender, list(recipients), data, proceed)
        except SMTPResponseException as exc:
            if exc.code == 421:  # the server is closing the session
                self._abandon()
            raise
        except SMTPRecipientsRefused:
            raise
        except BaseException:
            self._abandon()  # state unknown (dropped mid-message, timeout): start afresh
            raise
        self._last_used = time.monotonic()
        return result

    async def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None or not smtp.is_connected:
            return
        try:
            await smtp.quit(timeout=self._config.timeout_seconds)
        except (SMTPException, OSError):
            smtp.close()

    def _abandon(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.close()

    async def _connection(self) -> aiosmtplib.SMTP:
        smtp = self._smtp
        if smtp is not None and smtp.is_connected:
            if time.monotonic() - self._last_used < _IDLE_CHECK_SECONDS:
                return smtp
            try:  # servers drop idle sessions; find out now rather than mid-message
                await smtp.noop()
                return smtp
            except (SMTPException, OSError):
                pass
        self._abandon()
        config = self._config
        smtp = aiosmtplib.SMTP(
            hostname=config.host,
            port=config.port,
            timeout=config.timeout_seconds,
            start_tls=config.starttls,
            username=config.username or None,
            password=config.password or None,
        )
        try:
            await smtp.connect()
        except SMTPAuthenticationError as exc:
            if 500 <= exc.code < 600:
                raise SmtpConfigurationError(
                    f"the SMTP server {config.host}:{config.port} refused the login for "
                    f"{config.username!r}: {exc.code} {exc.message}"
                ) from None
            raise SmtpUnavailable(describe(exc)) from exc
        except ssl.SSLCertVerificationError as exc:
            raise SmtpConfigurationError(
                f"the certificate of {config.host}:{config.port} is not trusted: "
                f"{exc.verify_message}"
            ) from None
        except (SMTPException, OSError) as exc:
            if type(exc) in (SMTPException, SMTPNotSupported):  # STARTTLS or AUTH missing
                raise SmtpConfigurationError(
                    f"the SMTP server {config.host}:{config.port} cannot be used as "
                    f"configured: {exc}"
                ) from None
            if isinstance(exc, SMTPResponseException):
                detail = f"{config.host}:{config.port} refused the session: {describe(exc)}"
            else:  # aiosmtplib's own text names the host, the port and the cause
                detail = str(exc) or f"cannot reach {config.host}:{config.port}"
            raise SmtpUnavailable(detail) from exc
        try:  # greeted now, so that each message can ask what the server supports
            await _greet(smtp)
        except (SMTPException, OSError) as exc:
            smtp.close()
            raise SmtpUnavailable(describe(exc)) from exc
        log.debug("connected to %s:%s", config.host, config.port)
        self._smtp = smtp
        self._last_used = time.monotonic()
        return smtp

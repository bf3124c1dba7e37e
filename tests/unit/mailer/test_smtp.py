from __future__ import annotations

import pytest
from aiosmtplib import (
    SMTPConnectError,
    SMTPConnectResponseError,
    SMTPDataError,
    SMTPHeloError,
    SMTPNotSupported,
    SMTPReadTimeoutError,
    SMTPRecipientRefused,
    SMTPRecipientsRefused,
    SMTPResponseException,
    SMTPSenderRefused,
    SMTPServerDisconnected,
)
from aiosmtplib.protocol import normalize_message_line_endings

from mailer.smtp import SmtpUnavailable, Verdict, classify, describe, size_as_sent, smtp_code


@pytest.mark.parametrize(
    "error",
    [
        SMTPDataError(550, "5.7.1 rejected"),
        SMTPSenderRefused(553, "sender not allowed", "bmt@example.gov.uk"),
        SMTPResponseException(554, "transaction failed"),
        SMTPRecipientsRefused([SMTPRecipientRefused(550, "no such user", "a@example.org")]),
        SMTPNotSupported("SMTPUTF8 is not supported by this server"),
        ValueError("address has a line break"),
    ],
)
def test_answers_about_the_message_in_the_5xx_range_are_permanent(error: Exception) -> None:
    assert classify(error) is Verdict.PERMANENT


@pytest.mark.parametrize(
    "error",
    [
        SMTPDataError(451, "4.3.0 try again later"),
        SMTPResponseException(421, "service not available, closing channel"),
        SMTPRecipientsRefused([SMTPRecipientRefused(450, "mailbox busy", "a@example.org")]),
        SMTPServerDisconnected("Connection lost"),
        SMTPConnectError("Error connecting to 127.0.0.1 on port 1"),
        SMTPReadTimeoutError("Timed out waiting for server response"),
        ConnectionRefusedError(111, "Connection refused"),
        TimeoutError(),
        SmtpUnavailable("cannot reach smtp.example.org:25"),
        # The session is refused, not the message: it may go once the server is fixed.
        SMTPConnectResponseError(554, "no SMTP service here"),
        SMTPHeloError(501, "bad EHLO"),
    ],
)
def test_everything_else_is_temporary(error: Exception) -> None:
    assert classify(error) is Verdict.TEMPORARY


def test_recipients_refused_is_permanent_only_when_every_refusal_is() -> None:
    mixed = SMTPRecipientsRefused(
        [
            SMTPRecipientRefused(550, "no such user", "a@example.org"),
            SMTPRecipientRefused(452, "too many recipients", "b@example.org"),
        ]
    )
    assert classify(mixed) is Verdict.TEMPORARY
    assert smtp_code(mixed) == 550


def test_description_keeps_the_code_and_the_server_text() -> None:
    assert describe(SMTPDataError(451, "4.3.0 try again later")) == "451 4.3.0 try again later"
    assert describe(ConnectionRefusedError("Connection refused")) == (
        "ConnectionRefusedError: Connection refused"
    )
    assert smtp_code(SMTPServerDisconnected("lost")) is None


def test_an_unreachable_server_is_described_by_its_own_text() -> None:
    assert describe(SmtpUnavailable("Error connecting to 127.0.0.1 on port 1")) == (
        "Error connecting to 127.0.0.1 on port 1"
    )


@pytest.mark.parametrize(
    "data",
    [b"", b"a", b"a\n", b"a\r\n", b"a\r", b"a\r\r\nb\n\rc", b"\n\n.\r\n", b"x" * 10 + b"\r"],
)
def test_the_size_announced_is_what_data_sends(data: bytes) -> None:
    # aiosmtplib's own figure, without the copy it makes to count it.
    assert size_as_sent(data) == len(normalize_message_line_endings(data))

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
from aiosmtplib.email import quote_address
from aiosmtplib.protocol import PERIOD_REGEX, normalize_message_line_endings
from hypothesis import given
from hypothesis import strategies as st

from mailer.smtp import SmtpUnavailable, Verdict, classify, describe, smtp_code
from mailer.wire import as_sent, dot_stuffed, quoted


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
    # aiosmtplib's own figure (RFC 1870: the message with its line ends made CRLF).
    assert len(as_sent(data)) == len(normalize_message_line_endings(data))


def _as_aiosmtplib_sends(data: bytes) -> bytes:
    return PERIOD_REGEX.sub(b"..", normalize_message_line_endings(data)) + b".\r\n"


# Messages made of what matters here: line ends of every kind, dots, and text.
_MESSAGES = st.lists(
    st.sampled_from([b"\r", b"\n", b"\r\n", b".", b"..", b"a", b"Subject: x", b"\x00"]),
    max_size=40,
).map(b"".join)


@given(_MESSAGES)
def test_data_goes_byte_for_byte_as_aiosmtplib_sends_it(data: bytes) -> None:
    assert dot_stuffed(as_sent(data)) == _as_aiosmtplib_sends(data)


@given(st.binary(max_size=200))
def test_any_bytes_go_as_aiosmtplib_sends_them(data: bytes) -> None:
    assert dot_stuffed(as_sent(data)) == _as_aiosmtplib_sends(data)


@pytest.mark.parametrize(
    "data", [b"a\nb\n", b"a\r\nb\r\n", b".a\n.b\n..c", b"a\r\n.\r\nb", b"a\rb\n"]
)
def test_stored_line_ends_of_each_kind_go_as_aiosmtplib_sends_them(data: bytes) -> None:
    assert dot_stuffed(as_sent(data)) == _as_aiosmtplib_sends(data)


_ATOM = st.text("abcxyzABC0189!#$%&'*+/=?^_`{|}~-", min_size=1, max_size=8)
_PLAIN = st.builds(
    lambda local, domain: ".".join(local) + "@" + ".".join(domain),
    st.lists(_ATOM, min_size=1, max_size=3),
    st.lists(st.text("abz09-", min_size=1, max_size=6), min_size=1, max_size=3),
)


@given(_PLAIN)
def test_a_plain_address_is_quoted_as_aiosmtplib_quotes_it(address: str) -> None:
    assert quoted(address) == quote_address(address).encode("ascii")


@given(st.text(max_size=30))
def test_any_address_is_quoted_as_aiosmtplib_quotes_it_or_refused_alike(address: str) -> None:
    try:
        expected = quote_address(address).encode("ascii")
    except (ValueError, UnicodeEncodeError) as refusal:
        with pytest.raises(type(refusal)):
            quoted(address)
    else:
        assert quoted(address) == expected

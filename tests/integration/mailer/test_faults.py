"""Delivery against real servers that misbehave: nothing lost, nothing sent twice."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy.orm import Session, sessionmaker

from mailer import dispatcher, outbox
from mailer.capture import smtp_server
from mailer.config import SmtpConfig
from mailer.dispatcher import DispatchSummary
from mailer.smtp import SmtpConfigurationError
from tests.integration.mailer.support import (
    AesGcmSealer,
    HangUpServer,
    Recorder,
    config_for,
    entry,
    free_port,
    queue,
    raw_server,
)
from tests.support.clock import Clock

Sessions = sessionmaker[Session]


def send_once(
    sessions: Sessions, config: SmtpConfig, sealer: AesGcmSealer, clock: Clock
) -> DispatchSummary:
    return asyncio.run(dispatcher.run(sessions, config, sealer, once=True, clock=clock))


def assert_backed_off(sessions: Sessions, entry_id: int, clock: Clock, attempts: int) -> None:
    found = entry(sessions, entry_id)
    assert (found.state, found.attempts, found.has_body) == ("queued", attempts, True)
    assert clock() <= found.due_at <= clock() + timedelta(seconds=30 * 2 ** (attempts - 1))


def test_a_refused_connection_is_retried_until_a_server_appears(
    sessions: Sessions, sealer: AesGcmSealer, clock: Clock
) -> None:
    entry_id = queue(sessions, sealer, clock())
    port = free_port()
    config = config_for(port)
    assert send_once(sessions, config, sealer, clock) == DispatchSummary(retrying=1)
    assert_backed_off(sessions, entry_id, clock, attempts=1)
    assert (entry(sessions, entry_id).last_error or "").startswith(
        f"Error connecting to 127.0.0.1 on port {port}"
    )
    recorder = Recorder()
    with smtp_server(recorder, port=port):
        # Not due yet: --once does not wait out the backoff.
        assert send_once(sessions, config, sealer, clock) == DispatchSummary()
        clock.advance(minutes=1)
        assert send_once(sessions, config, sealer, clock) == DispatchSummary(sent=1)
    assert len(recorder.received) == 1
    assert (entry(sessions, entry_id).state, entry(sessions, entry_id).attempts) == ("sent", 2)


def test_a_421_answer_is_retried_then_delivered_once(
    sessions: Sessions, sealer: AesGcmSealer, clock: Clock
) -> None:
    entry_id = queue(sessions, sealer, clock())
    recorder = Recorder(refuse_rcpt="421 4.3.2 Service shutting down")
    with smtp_server(recorder) as server:
        config = config_for(server.port)
        for attempt in (1, 2):
            assert send_once(sessions, config, sealer, clock) == DispatchSummary(retrying=1)
            assert_backed_off(sessions, entry_id, clock, attempts=attempt)
            clock.advance(hours=1)
        assert entry(sessions, entry_id).last_error == (
            "421 4.3.2 Service shutting down (spoc@provider.example.org)"
        )
        recorder.refuse_rcpt = None
        assert send_once(sessions, config, sealer, clock) == DispatchSummary(sent=1)
        assert send_once(sessions, config, sealer, clock) == DispatchSummary()
    assert recorder.refusals == 2 and len(recorder.received) == 1


def test_a_451_answer_to_data_is_retried_then_delivered_once(
    sessions: Sessions, sealer: AesGcmSealer, clock: Clock
) -> None:
    entry_id = queue(sessions, sealer, clock())
    recorder = Recorder(refuse_data="451 4.3.0 Mail server temporarily rejected message")
    with smtp_server(recorder) as server:
        config = config_for(server.port)
        assert send_once(sessions, config, sealer, clock) == DispatchSummary(retrying=1)
        assert_backed_off(sessions, entry_id, clock, attempts=1)
        assert entry(sessions, entry_id).last_error == (
            "451 4.3.0 Mail server temporarily rejected message"
        )
        recorder.refuse_data = None
        clock.advance(minutes=1)
        assert send_once(sessions, config, sealer, clock) == DispatchSummary(sent=1)
    assert recorder.refusals == 1 and len(recorder.received) == 1


def test_a_451_answer_to_rcpt_is_retried(
    sessions: Sessions, sealer: AesGcmSealer, clock: Clock
) -> None:
    entry_id = queue(sessions, sealer, clock())
    recorder = Recorder(refuse_rcpt="451 4.7.1 Greylisted, try again later")
    with smtp_server(recorder) as server:
        config = config_for(server.port)
        assert send_once(sessions, config, sealer, clock) == DispatchSummary(retrying=1)
        assert_backed_off(sessions, entry_id, clock, attempts=1)
        recorder.refuse_rcpt = None
        clock.advance(minutes=1)
        assert send_once(sessions, config, sealer, clock) == DispatchSummary(sent=1)
    assert len(recorder.received) == 1


def test_a_550_answer_fails_for_good_until_an_operator_retries(
    sessions: Sessions, sealer: AesGcmSealer, clock: Clock
) -> None:
    entry_id = queue(sessions, sealer, clock(), to="gone@provider.example.org")
    recorder = Recorder(refuse_rcpt="550 5.1.1 <gone@provider.example.org>: user unknown")
    with smtp_server(recorder) as server:
        config = config_for(server.port)
        assert send_once(sessions, config, sealer, clock) == DispatchSummary(failed=1)
        failed = entry(sessions, entry_id)
        assert (failed.state, failed.attempts, failed.has_body) == ("failed", 1, True)
        assert failed.last_error is not None and failed.last_error.startswith(
            "550 5.1.1 <gone@provider.example.org>: user unknown"
        )
        clock.advance(days=1)
        assert send_once(sessions, config, sealer, clock) == DispatchSummary()
        assert recorder.refusals == 1  # not retried
        recorder.refuse_rcpt = None
        with sessions.begin() as session:
            assert outbox.retry_failed(session, [entry_id], clock()) == [entry_id]
        assert send_once(sessions, config, sealer, clock) == DispatchSummary(sent=1)
    assert len(recorder.received) == 1


def test_a_connection_dropped_mid_message_is_retried_and_delivered_once(
    sessions: Sessions, sealer: AesGcmSealer, clock: Clock
) -> None:
    entry_id = queue(sessions, sealer, clock())
    hang_up = HangUpServer()
    with raw_server(hang_up) as port:
        assert send_once(sessions, config_for(port), sealer, clock) == DispatchSummary(retrying=1)
    assert hang_up.hang_ups == 1
    assert_backed_off(sessions, entry_id, clock, attempts=1)
    assert "SMTPServerDisconnected" in (entry(sessions, entry_id).last_error or "")
    recorder = Recorder()
    with smtp_server(recorder) as server:
        clock.advance(minutes=1)
        assert send_once(sessions, config_for(server.port), sealer, clock) == (
            DispatchSummary(sent=1)
        )
        assert send_once(sessions, config_for(server.port), sealer, clock) == DispatchSummary()
    [received] = recorder.received
    assert received.message["Message-ID"] == entry(sessions, entry_id).message_id


def test_temporary_failures_give_up_after_the_last_attempt(
    sessions: Sessions, sealer: AesGcmSealer, clock: Clock
) -> None:
    entry_id = queue(sessions, sealer, clock())
    config = config_for(free_port(), max_attempts=3)
    outcomes = []
    for _ in range(3):
        outcomes.append(send_once(sessions, config, sealer, clock))
        clock.advance(hours=1)
    assert outcomes == [DispatchSummary(retrying=1)] * 2 + [DispatchSummary(failed=1)]
    found = entry(sessions, entry_id)
    assert (found.state, found.attempts, found.has_body) == ("failed", 3, True)
    assert (found.last_error or "").endswith("(gave up after 3 attempts)")


def test_a_mix_of_good_and_bad_recipients_loses_nothing(
    sessions: Sessions, sealer: AesGcmSealer, clock: Clock
) -> None:
    class Picky(Recorder):
        async def handle_RCPT(self, server, session, envelope, address, options):  # type: ignore[no-untyped-def]
            if address.startswith("gone"):
                return "550 5.1.1 user unknown"
            if address.startswith("busy") and self.refusals < 1:
                self.refusals += 1
                return "452 4.2.2 mailbox full"
            envelope.rcpt_tos.append(address)
            return "250 OK"

    picky = Picky()
    good = [queue(sessions, sealer, clock(), f"ok{n}", to=f"ok{n}@p.example.org") for n in range(3)]
    gone = queue(sessions, sealer, clock(), "gone", to="gone@p.example.org")
    busy = queue(sessions, sealer, clock(), "busy", to="busy@p.example.org")
    with smtp_server(picky) as server:
        config = config_for(server.port)
        assert send_once(sessions, config, sealer, clock) == DispatchSummary(
            sent=3, retrying=1, failed=1
        )
        clock.advance(hours=1)
        assert send_once(sessions, config, sealer, clock) == DispatchSummary(sent=1)
    assert {entry(sessions, i).state for i in good} == {"sent"}
    assert entry(sessions, gone).state == "failed"
    assert entry(sessions, busy).state == "sent"
    delivered = [r.rcpt_tos[0] for r in picky.received]
    assert sorted(delivered) == sorted(
        ["ok0@p.example.org", "ok1@p.example.org", "ok2@p.example.org", "busy@p.example.org"]
    )


def _only(user: str, password: str) -> Any:
    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            user.encode(),
            password.encode(),
        )
        return AuthResult(success=ok, handled=False)

    return authenticator


def test_the_configured_login_is_used(
    sessions: Sessions, sealer: AesGcmSealer, clock: Clock
) -> None:
    queue(sessions, sealer, clock())
    recorder = Recorder()
    with smtp_server(
        recorder, authenticator=_only("bmt", "s3cret"), auth_require_tls=False
    ) as server:
        config = config_for(server.port, username="bmt", password="s3cret")  # noqa: S106
        assert send_once(sessions, config, sealer, clock) == DispatchSummary(sent=1)
    assert len(recorder.received) == 1


def test_a_refused_login_stops_the_dispatcher_and_keeps_the_message(
    sessions: Sessions, sealer: AesGcmSealer, clock: Clock
) -> None:
    entry_id = queue(sessions, sealer, clock())
    with smtp_server(
        Recorder(), authenticator=_only("bmt", "s3cret"), auth_require_tls=False
    ) as server:
        config = config_for(server.port, username="bmt", password="wrong")  # noqa: S106
        with pytest.raises(SmtpConfigurationError, match="refused the login for 'bmt'"):
            send_once(sessions, config, sealer, clock)
    found = entry(sessions, entry_id)
    assert (found.state, found.attempts, found.has_body) == ("queued", 0, True)


def test_starttls_demanded_of_a_server_without_it_is_a_configuration_error(
    sessions: Sessions, sealer: AesGcmSealer, clock: Clock
) -> None:
    entry_id = queue(sessions, sealer, clock())
    with smtp_server(Recorder()) as server:
        config = config_for(server.port, starttls=True)
        with pytest.raises(SmtpConfigurationError, match="STARTTLS"):
            send_once(sessions, config, sealer, clock)
    assert entry(sessions, entry_id).state == "queued"

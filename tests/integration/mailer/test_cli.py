from __future__ import annotations

import asyncio
import json
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import aiosmtplib
import pytest
from aiosmtpd.smtp import AuthResult

from codeservice.bootstrap import Container
from mailer import claims, outbox
from mailer.capture import captured, capturing, smtp_server
from tests.conftest import Cli
from tests.integration.mailer.support import Recorder, free_port, message


def _queue(container: Container, key: str, **message_args: str) -> int:
    with container.uow() as uow:
        entry_id = outbox.enqueue(
            uow.session,
            message(**message_args),
            dedupe_key=key,
            category="access-code-document",
            now=container.now(),
            sealer=container.mail_sealer,
        )
        uow.commit()
    return entry_id


def _state(container: Container, entry_id: int) -> str:
    with container.uow() as uow:
        found = outbox.get(uow.session, entry_id)
    assert found is not None
    return found.state


def test_send_once_delivers_the_outbox(cli: Cli, container: Container) -> None:
    ids = [_queue(container, f"k{n}", to=f"spoc{n}@provider.example.org") for n in range(2)]
    maildir = container.settings.mail_dir
    with capturing(maildir) as server:
        cli.env["CODESERVICE_SMTP_PORT"] = str(server.port)
        result = cli("mail", "send", "--once")
    assert result.exit_code == 0, result.output
    assert "sent" in result.output and "2" in result.output
    assert len(captured(maildir)) == 2
    assert {_state(container, i) for i in ids} == {"sent"}


def test_send_once_counts_its_smtp_answers_in_the_shared_metrics_folder(
    cli: Cli, container: Container, tmp_path: Path
) -> None:
    """``mail send`` serves no /metrics: its counts are read from
    PROMETHEUS_MULTIPROC_DIR, where a real process of it must write them."""
    from prometheus_client import CollectorRegistry
    from prometheus_client.multiprocess import MultiProcessCollector

    for n in range(2):
        _queue(container, f"k{n}", to=f"spoc{n}@provider.example.org")
    folder = tmp_path / "metrics"
    folder.mkdir()
    with capturing(container.settings.mail_dir) as server:
        cli.env.update(CODESERVICE_SMTP_PORT=str(server.port), PROMETHEUS_MULTIPROC_DIR=str(folder))
        done = cli.run_process("mail", "send", "--once")
    assert done.returncode == 0, done.stderr
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(folder))
    assert registry.get_sample_value("mailer_smtp_answers_total", {"class": "2xx"}) == 2
    assert registry.get_sample_value("mailer_send_duration_seconds_count") == 2


def test_send_once_with_no_server_leaves_the_message_queued(cli: Cli, container: Container) -> None:
    entry_id = _queue(container, "k")
    cli.env["CODESERVICE_SMTP_PORT"] = str(free_port())
    result = cli("mail", "send", "--once")
    assert result.exit_code == 0, result.output
    assert _state(container, entry_id) == "queued"
    listed = json.loads(cli("mail", "list", "--json").output)
    assert listed[0]["attempts"] == 1
    assert "Error connecting" in listed[0]["last_error"]


def test_send_refuses_a_bad_mail_setting(cli: Cli) -> None:
    cli.env["CODESERVICE_MAIL_FROM"] = "not an address"
    result = cli("mail", "send", "--once")
    assert result.exit_code == 78
    assert "CODESERVICE_MAIL_FROM" in result.output
    assert "Traceback" not in result.output


def test_list_shows_rows_but_never_bodies(cli: Cli, container: Container) -> None:
    _queue(container, "k", to="ann@provider.example.org", body="SECRET-BODY-MARKER")
    listed = json.loads(cli("mail", "list", "--json").output)
    assert [(m["id"], m["category"], m["recipients"], m["state"]) for m in listed] == [
        (1, "access-code-document", ["ann@provider.example.org"], "queued")
    ]
    assert listed[0]["message_id"].startswith("<")
    table = cli("mail", "list")
    assert table.exit_code == 0 and "ann@provider.example.org" in table.output
    assert "SECRET-BODY-MARKER" not in table.output + json.dumps(listed)
    assert json.loads(cli("mail", "list", "--state", "failed", "--json").output) == []
    assert cli("mail", "list", "--state", "lost").exit_code == 65


def test_retry_queues_a_failed_message_again(cli: Cli, container: Container) -> None:
    failed_id = _queue(container, "failed")
    queued_id = _queue(container, "queued")
    with container.uow() as uow:
        claims.claim_due(uow.session, worker_id="w", now=container.now(), claim_seconds=60, limit=1)
        claims.mark_failed(
            uow.session, failed_id, "w", error="550 user unknown", now=container.now()
        )
        uow.commit()
    refused = cli("mail", "retry", str(failed_id), str(queued_id))
    assert refused.exit_code == 75 and f"not failed: {queued_id}" in refused.output
    assert _state(container, failed_id) == "failed"  # nothing changed
    assert cli("mail", "retry", "999").exit_code == 66
    result = cli("mail", "retry", str(failed_id))
    assert result.exit_code == 0, result.output
    assert _state(container, failed_id) == "queued"


@pytest.mark.slow
def test_capture_runs_until_sigterm(cli: Cli, container: Container) -> None:
    port = free_port()
    process = cli.popen(
        "mail", "capture", "--port", str(port), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert f"127.0.0.1:{port}" in line and str(container.settings.mail_dir) in line
        with socket.create_connection(("127.0.0.1", port), timeout=10):
            pass
        asyncio.run(
            aiosmtplib.send(message(subject="Via the CLI"), hostname="127.0.0.1", port=port)
        )
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    [stored] = captured(container.settings.mail_dir)
    assert stored["Subject"] == "Via the CLI"


@pytest.mark.slow
def test_send_keeps_running_until_sigterm(cli: Cli, container: Container) -> None:
    maildir = container.settings.mail_dir
    with capturing(maildir) as server:
        cli.env["CODESERVICE_SMTP_PORT"] = str(server.port)
        process = cli.popen("mail", "send", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            _queue(container, "while-running")
            for _ in range(1200):  # the dispatcher polls; give it up to a minute
                if captured(maildir) or process.poll() is not None:
                    break
                time.sleep(0.05)
            assert len(captured(maildir)) == 1
            process.send_signal(signal.SIGTERM)
            out, err = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert process.returncode == 0, err
    assert "sent" in out and "Traceback" not in err


def test_send_stops_with_a_configuration_error_when_the_login_is_refused(
    cli: Cli, container: Container
) -> None:
    def refuse(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        return AuthResult(success=False, handled=False)

    entry_id = _queue(container, "k")
    with smtp_server(Recorder(), authenticator=refuse, auth_require_tls=False) as server:
        cli.env.update(
            CODESERVICE_SMTP_PORT=str(server.port),
            CODESERVICE_SMTP_USERNAME="bmt",
            CODESERVICE_SMTP_PASSWORD="wrong",  # noqa: S106
        )
        result = cli("mail", "send", "--once")
    assert result.exit_code == 78
    assert "refused the login for 'bmt'" in result.output
    assert "wrong" not in result.output
    assert _state(container, entry_id) == "queued"

"""``worker`` and ``scheduler --metrics-port``: /metrics from processes without the web
app, alone and in multiprocess mode, with JSON log lines."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import Cli


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _scrape(process: subprocess.Popen[str], url: str) -> dict[str, float]:
    """The first answer of a process that is starting (it may take a few seconds)."""
    deadline = time.monotonic() + 120
    while True:
        assert process.poll() is None, "the process stopped before serving /metrics"
        try:
            response = httpx.get(url, timeout=10)
            break
        except httpx.TransportError:
            if time.monotonic() > deadline:
                pytest.fail("gave up waiting for /metrics", pytrace=False)
            time.sleep(0.2)
    assert response.status_code == 200, response.text
    return {
        sample.name + json.dumps(sample.labels, sort_keys=True): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def _stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    _out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    return err


@pytest.mark.parametrize("command", ["worker", "scheduler"])
def test_a_process_without_the_web_app_serves_metrics_on_its_own_port(
    cli: Cli, command: str, tmp_path: Path
) -> None:
    port = _free_port()
    multiprocess = tmp_path / "prometheus"
    multiprocess.mkdir()
    cli.env["PROMETHEUS_MULTIPROC_DIR"] = str(multiprocess)
    cli.env["CODESERVICE_LOG_FORMAT"] = "json"
    process = cli.popen(
        command,
        "--metrics-port",
        str(port),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        samples = _scrape(process, f"http://127.0.0.1:{port}/metrics")
    finally:
        err = _stop(process)

    assert "codeservice_outbox_due{}" in samples
    assert "codeservice_scheduler_leader{}" in samples
    assert 'mailer_smtp_answers_total{"class": "2xx"}' in samples  # from the shared folder
    assert 'codeservice_helpline_checks_total{"result": "pass"}' in samples
    assert any(multiprocess.iterdir())  # the counts were written there
    lines = [json.loads(line) for line in err.splitlines() if line.strip()]
    assert any(f"metrics on http://127.0.0.1:{port}/metrics" in x["event"] for x in lines)
    assert all({"time", "level", "logger", "event", "request_id", "actor"} <= set(x) for x in lines)


def test_metrics_port_refuses_what_the_web_app_refuses(cli: Cli) -> None:
    port = _free_port()
    cli.env["CODESERVICE_METRICS_ALLOW"] = "192.0.2.0/24"
    cli.env["CODESERVICE_METRICS_TOKEN"] = "a-long-metrics-token"  # noqa: S105
    process = cli.popen("worker", "--metrics-port", str(port), stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        with_token = {"Authorization": "Bearer a-long-metrics-token"}
        deadline = time.monotonic() + 120
        while True:
            try:
                refused = httpx.get(url, timeout=10)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
        assert refused.status_code == 403
        assert httpx.get(url, headers=with_token, timeout=10).status_code == 200
    finally:
        _stop(process)

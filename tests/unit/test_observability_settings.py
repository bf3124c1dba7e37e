"""Log format, request ids and who may read /metrics."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest

from codeservice import logs
from codeservice.config import load_settings
from codeservice.errors import ConfigurationError
from codeservice.web.metrics import allowed


def test_metrics_are_for_loopback_by_default_and_need_no_token() -> None:
    settings = load_settings({})

    assert allowed(settings, "127.0.0.1", None)
    assert allowed(settings, "::1", None)
    assert allowed(settings, "::ffff:127.0.0.1", None)
    assert not allowed(settings, "10.1.2.3", None)
    assert not allowed(settings, "testclient", None)
    assert not allowed(settings, None, None)
    assert not allowed(settings, "10.1.2.3", "Bearer ")  # no token is set: none is accepted


def test_metrics_ranges_and_token_come_from_the_environment(tmp_path: Path) -> None:
    token_file = tmp_path / "metrics-token"
    token_file.write_text("s3cret-metrics-token\n")
    settings = load_settings(
        {
            "CODESERVICE_METRICS_ALLOW": "10.0.0.0/8, 2001:db8::/32",
            "CODESERVICE_METRICS_TOKEN_FILE": str(token_file),
        }
    )

    assert allowed(settings, "10.9.8.7", None)
    assert allowed(settings, "2001:db8::5", None)
    assert not allowed(settings, "127.0.0.1", None)
    assert allowed(settings, "192.0.2.1", "Bearer s3cret-metrics-token")
    assert not allowed(settings, "192.0.2.1", "Bearer s3cret-metrics-tokeN")
    assert not allowed(settings, "192.0.2.1", "Basic s3cret-metrics-token")
    assert "s3cret" not in repr(settings)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("METRICS_ALLOW", "10.0.0.0/8, nowhere", "'nowhere' is not an address range"),
        ("LOG_FORMAT", "xml", "expected human, json or auto"),
    ],
)
def test_a_bad_setting_names_itself(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=f"CODESERVICE_{name}: {message}"):
        load_settings({f"CODESERVICE_{name}": value})


@pytest.mark.parametrize(
    ("header", "kept"),
    [
        ("abc-123", True),
        ("req_1.2:3", True),
        ("x" * 64, True),
        ("x" * 65, False),
        ("two words", False),
        ("<script>", False),
        ("", False),
        (None, False),
    ],
)
def test_a_request_id_is_kept_only_when_short_and_plain(header: str | None, kept: bool) -> None:
    made = logs.request_id_from(header)

    assert (made == header) is kept
    assert 1 <= len(made) <= 64


def test_a_json_line_carries_the_request_id_and_actor() -> None:
    record = logging.LogRecord("codeservice.x", logging.INFO, __file__, 1, "did %s", ("it",), None)
    token = logs.bind("req-1")
    try:
        logs.set_actor("user:ann")
        line = json.loads(logs.JsonFormatter().format(record))
    finally:
        logs.unbind(token)

    assert line["event"] == "did it" and line["logger"] == "codeservice.x"
    assert (line["level"], line["request_id"], line["actor"]) == ("INFO", "req-1", "user:ann")
    assert line["time"].endswith("+00:00")
    assert json.loads(logs.JsonFormatter().format(record))["request_id"] is None


def test_auto_is_json_unless_stderr_is_a_terminal() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert logs.use_json("auto", io.StringIO())
    assert not logs.use_json("auto", Terminal())
    assert logs.use_json("json", Terminal())
    assert not logs.use_json("human", io.StringIO())

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from codeservice.config import load_settings
from codeservice.errors import ConfigurationError


def test_the_address_throttle_defaults_to_thirty_failures_in_fifteen_minutes() -> None:
    settings = load_settings({})

    assert settings.sign_in_address_attempts == 30
    assert settings.sign_in_address_window_minutes == 15


def test_the_address_throttle_settings_can_be_overridden() -> None:
    settings = load_settings(
        {
            "CODESERVICE_SIGN_IN_ADDRESS_ATTEMPTS": "50",
            "CODESERVICE_SIGN_IN_ADDRESS_WINDOW_MINUTES": "60",
        }
    )

    assert (settings.sign_in_address_attempts, settings.sign_in_address_window_minutes) == (50, 60)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SIGN_IN_ADDRESS_ATTEMPTS", "0", "must be at least 1, got 0"),
        ("SIGN_IN_ADDRESS_ATTEMPTS", "many", "expected a whole number, got 'many'"),
        ("SIGN_IN_ADDRESS_WINDOW_MINUTES", "0", "must be at least 1, got 0"),
    ],
)
def test_a_bad_address_throttle_setting_names_itself(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=f"CODESERVICE_{name}: {message}"):
        load_settings({f"CODESERVICE_{name}": value})


def test_retention_defaults_are_thirteen_months_and_incidents_twenty_four() -> None:
    settings = load_settings({})
    assert (
        settings.retention_mail_months,
        settings.retention_address_months,
        settings.retention_removed_spoc_months,
        settings.retention_incident_months,
    ) == (13, 13, 13, 24)
    assert str(settings.retention_time) == "03:30:00"
    assert load_settings({"CODESERVICE_RETENTION_TIME": ""}).retention_time is None
    assert (
        load_settings({"CODESERVICE_RETENTION_INCIDENT_MONTHS": "36"}).retention_incident_months
        == 36
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("RETENTION_MAIL_MONTHS", "0", "must be at least 1"),
        ("RETENTION_INCIDENT_MONTHS", "two years", "expected a whole number"),
        ("RETENTION_TIME", "3am", "expected HH:MM"),
    ],
)
def test_a_bad_retention_setting_names_itself(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=f"CODESERVICE_{name}: {message}"):
        load_settings({f"CODESERVICE_{name}": value})


def test_the_backpressure_settings_default_to_a_small_bound() -> None:
    settings = load_settings({})
    assert (settings.web_max_in_flight, settings.web_queue_wait_ms) == (8, 100)
    assert settings.web_retry_after_seconds == 1


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("WEB_MAX_IN_FLIGHT", "0", "must be at least 1, got 0"),
        ("WEB_QUEUE_WAIT_MS", "-1", "must be at least 0, got -1"),
        ("WEB_QUEUE_WAIT_MS", "soon", "expected a whole number"),
        ("WEB_RETRY_AFTER_SECONDS", "0", "must be at least 1, got 0"),
    ],
)
def test_a_bad_backpressure_setting_names_itself(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=f"CODESERVICE_{name}: {message}"):
        load_settings({f"CODESERVICE_{name}": value})


def test_a_secret_file_is_read_without_its_byte_order_mark(tmp_path: Path) -> None:
    secret = tmp_path / "smtp-password"
    secret.write_bytes(b"\xef\xbb\xbfs3cret\r\n")

    settings = load_settings({"CODESERVICE_SMTP_PASSWORD_FILE": str(secret)})

    assert settings.smtp_password == "s3cret"  # noqa: S105 (a test value)


def test_a_secret_file_that_is_no_secret_stops_start_up_naming_the_setting(
    tmp_path: Path,
) -> None:
    binary = tmp_path / "backup.tar"
    binary.write_bytes(b"\xff\xfe\x00\x01")

    with pytest.raises(ConfigurationError, match="CODESERVICE_SMTP_PASSWORD_FILE: .* not UTF-8"):
        load_settings({"CODESERVICE_SMTP_PASSWORD_FILE": str(binary)})
    with pytest.raises(ConfigurationError, match="SMTP_PASSWORD_FILE: /dev/zero is larger than"):
        load_settings({"CODESERVICE_SMTP_PASSWORD_FILE": "/dev/zero"})


def test_a_settings_file_saved_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    from codeservice.config import CHECKOUT_DEFAULTS

    saved = tmp_path / "codeservice.toml"
    saved.write_bytes(b"\xef\xbb\xbf" + CHECKOUT_DEFAULTS.read_bytes())

    assert load_settings({"CODESERVICE_CONFIG": str(saved)}).timezone == "Europe/London"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda folder: folder, "cannot read the settings file .*: Is a directory"),
        (lambda folder: Path("/dev/zero"), "/dev/zero is larger than any settings file"),
        (lambda folder: _written(folder / "latin1.toml", b"home = '/srv/caf\xe9'\n"), "not UTF-8"),
    ],
    ids=["a folder", "endless", "Latin-1"],
)
def test_a_settings_file_that_is_not_one_stops_start_up_naming_the_setting(
    tmp_path: Path, make: Callable[[Path], Path], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=f"CODESERVICE_CONFIG: .*{message}"):
        load_settings({"CODESERVICE_CONFIG": str(make(tmp_path))})


def _written(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path

from __future__ import annotations

from typing import Any

import pytest

from mailer.config import InvalidSetting, SmtpConfig


def config(**overrides: Any) -> SmtpConfig:
    values: dict[str, Any] = {
        "host": "smtp.example.gov.uk",
        "port": 587,
        "mail_from": "Provider Direct BMT <provider-direct-bmt@example.gov.uk>",
    }
    values.update(overrides)
    return SmtpConfig(**values)


def test_the_envelope_sender_is_the_bare_address() -> None:
    built = config()
    assert built.envelope_sender == "provider-direct-bmt@example.gov.uk"
    assert built.sender_domain == "example.gov.uk"
    assert built.claim_batch == 8


def test_the_password_is_never_shown() -> None:
    assert "hunter2" not in repr(config(username="bmt", password="hunter2"))  # noqa: S106


@pytest.mark.parametrize(
    ("overrides", "setting"),
    [
        ({"host": " "}, "smtp_host"),
        ({"port": 0}, "smtp_port"),
        ({"mail_from": "Provider Direct BMT"}, "mail_from"),
        ({"connections": 0}, "smtp_connections"),
        ({"claim_seconds": 0}, "mail_claim_seconds"),
        ({"max_attempts": 0}, "mail_max_attempts"),
        ({"username": "bmt"}, "smtp_username"),
    ],
)
def test_an_unusable_setting_is_named(overrides: dict[str, Any], setting: str) -> None:
    with pytest.raises(InvalidSetting) as raised:
        config(**overrides)
    assert raised.value.setting == setting

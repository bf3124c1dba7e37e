from __future__ import annotations

import stat
from pathlib import Path

import pytest

from codeservice.config import Settings, load_settings
from codeservice.errors import ConfigurationError
from codeservice.web.secrets import web_secret


def _settings(home: Path, **environ: str) -> Settings:
    return load_settings({"CODESERVICE_HOME": str(home), **environ})


def test_a_secret_is_made_once_and_kept_private(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    path = settings.keys_dir / "web-secret"

    first = web_secret(settings)
    second = web_secret(settings)

    assert first == second
    assert len(first) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["web-secret"]


def test_the_session_secret_setting_wins(tmp_path: Path) -> None:
    settings = _settings(tmp_path, CODESERVICE_SESSION_SECRET="s" * 40)

    assert web_secret(settings) == b"s" * 40
    assert not (settings.keys_dir / "web-secret").exists()


def test_a_short_session_secret_is_refused(tmp_path: Path) -> None:
    settings = _settings(tmp_path, CODESERVICE_SESSION_SECRET="s" * 8)

    with pytest.raises(ConfigurationError, match="CODESERVICE_SESSION_SECRET"):
        web_secret(settings)


def test_a_secret_file_others_can_read_is_refused(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    web_secret(settings)
    (settings.keys_dir / "web-secret").chmod(0o644)

    with pytest.raises(ConfigurationError, match="chmod 600"):
        web_secret(settings)

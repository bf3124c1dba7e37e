"""The web app's signing secret (CSRF tokens, later sessions).

``session_secret`` from the settings when an operator provides one (so several web
processes can share it); otherwise a random secret kept in ``<home>/keys/web-secret``,
made on first use, readable by the service's user alone.
"""

from __future__ import annotations

import secrets
import stat
from pathlib import Path

from codeservice.config import Settings
from codeservice.crypto.keyring_file import write_file_atomically
from codeservice.errors import ConfigurationError

FILE_NAME = "web-secret"
MINIMUM_LENGTH = 32


def web_secret(settings: Settings) -> bytes:
    if settings.session_secret:
        if len(settings.session_secret) < MINIMUM_LENGTH:
            raise ConfigurationError(
                f"CODESERVICE_SESSION_SECRET: must be at least {MINIMUM_LENGTH} characters; "
                "make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
        return settings.session_secret.encode()
    return _secret_from_file(settings.keys_dir / FILE_NAME)


def _secret_from_file(path: Path) -> bytes:
    if path.exists():
        return _read_secret(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # Written whole and synced to a private temporary file, then linked into place (never
    # over one): two processes starting together agree on one secret, and neither ever
    # reads a half-written one, after a power loss either.
    write_file_atomically(path, (secrets.token_urlsafe(48) + "\n").encode(), replace=False)
    return _read_secret(path)


def _read_secret(path: Path) -> bytes:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigurationError(f"{path} can be read by other users; run: chmod 600 {path}")
    value = path.read_text(encoding="ascii").strip()
    if len(value) < MINIMUM_LENGTH:
        raise ConfigurationError(f"{path} holds no usable secret; delete it and start again")
    return value.encode()

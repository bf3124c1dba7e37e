"""Reading one setting's value, or saying exactly what is wrong with it."""

from __future__ import annotations

import ipaddress
from datetime import time
from pathlib import Path
from typing import Any

from codeservice.errors import ConfigurationError

PREFIX = "CODESERVICE_"
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def as_bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ConfigurationError(f"{PREFIX}{name.upper()}: expected true or false, got {value!r}")


def as_int(name: str, value: Any, minimum: int = 0) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ConfigurationError(
            f"{PREFIX}{name.upper()}: expected a whole number, got {value!r}"
        ) from None
    if number < minimum:
        raise ConfigurationError(
            f"{PREFIX}{name.upper()}: must be at least {minimum}, got {number}"
        )
    return number


def as_time(name: str, value: Any) -> time:
    try:
        return time.fromisoformat(str(value).strip())
    except ValueError:
        raise ConfigurationError(f"{PREFIX}{name.upper()}: expected HH:MM, got {value!r}") from None


def as_networks(name: str, value: Any) -> tuple[IPNetwork, ...]:
    networks = []
    for part in str(value).replace(";", ",").split(","):
        if not part.strip():
            continue
        try:
            networks.append(ipaddress.ip_network(part.strip(), strict=False))
        except ValueError:
            raise ConfigurationError(
                f"{PREFIX}{name.upper()}: {part.strip()!r} is not an address range "
                "such as 10.0.0.0/8"
            ) from None
    return tuple(networks)


def observability(raw: dict[str, Any]) -> dict[str, Any]:
    """The log format and who may read the metrics."""
    log_format = str(raw.get("log_format", "human")).strip().lower()
    if log_format not in {"human", "json", "auto"}:
        raise ConfigurationError(f"{PREFIX}LOG_FORMAT: expected human, json or auto")
    return {
        "log_format": log_format,
        "metrics_allow": as_networks("metrics_allow", raw.get("metrics_allow", "")),
        "metrics_token": str(raw.get("metrics_token", "")).strip(),
    }


# Far more than any password, session secret or token; a file past it is not one.
MOST_SECRET_BYTES = 64 * 1024
# Many times the size of the default settings file; a file past it is not one.
MOST_SETTINGS_BYTES = 1024 * 1024


def secret_from_file(setting: str, path: Path) -> str:
    """A secret from the file a ``CODESERVICE_<NAME>_FILE`` setting names, stripped."""
    return _small_text(path, setting, "secret", MOST_SECRET_BYTES).strip()


def settings_text(path: Path) -> str:
    """The text of the settings file (``CODESERVICE_CONFIG``, or the default one)."""
    return _small_text(
        path,
        f"{PREFIX}CONFIG",
        "settings file",
        MOST_SETTINGS_BYTES,
        named="the settings file ",
        missing=f"the default settings file {path} is missing",
    )


def _small_text(
    path: Path, setting: str, kind: str, most: int, *, named: str = "", missing: str = ""
) -> str:
    """The text of a file that ``setting`` names, read no further than ``most`` bytes, so
    that a wrong path (a log, a database, ``/dev/zero``) stops start-up at once instead
    of filling memory. A byte order mark is dropped; a folder, a file this user may not
    read or one that is not UTF-8 is named, not a traceback."""
    try:
        with path.open("rb") as file:
            data = file.read(most + 1)
    except OSError as exc:
        if missing and isinstance(exc, FileNotFoundError):
            raise ConfigurationError(missing) from None
        raise ConfigurationError(f"{setting}: cannot read {named}{path}: {exc.strerror}") from None
    if len(data) > most:
        raise ConfigurationError(
            f"{setting}: {path} is larger than any {kind} ({most:,} bytes at most); check "
            "that it names the right file"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigurationError(f"{setting}: {path} is not UTF-8 text") from None

"""Settings: defaults from ``config/codeservice.toml``, overridden by the environment.

An installed wheel carries a copy of that file (``codeservice/defaults/``, copied by
setup.py at build time) and reads it first; a checkout reads ``config/`` itself.
``CODESERVICE_CONFIG`` names another defaults file.

``CODESERVICE_<NAME>`` overrides a setting; for secrets ``CODESERVICE_<NAME>_FILE``
names a file holding the value. A bad value stops start-up with a message naming the
setting, so an operator knows exactly which line of the unit file to fix.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from codeservice.config_values import (
    PREFIX,
    IPNetwork,
    observability,
    secret_from_file,
    settings_text,
)
from codeservice.config_values import as_bool as _as_bool
from codeservice.config_values import as_int as _as_int
from codeservice.config_values import as_time as _as_time
from codeservice.errors import ConfigurationError

PACKAGED_DEFAULTS = Path(__file__).resolve().parent / "defaults" / "codeservice.toml"
CHECKOUT_DEFAULTS = Path(__file__).resolve().parent.parent / "config" / "codeservice.toml"
SECRETS = frozenset({"smtp_password", "session_secret", "metrics_token"})


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str
    base_url: str
    timezone: str
    log_level: str
    holiday_moves_issue_day: bool
    issue_time: time
    code_excluded_characters: str
    master_key_file: Path
    audit_anchor_file: Path
    smtp_host: str
    smtp_port: int
    smtp_starttls: bool
    smtp_username: str
    smtp_password: str
    smtp_timeout_seconds: float
    smtp_connections: int
    mail_from: str
    bmt_mailbox: str
    security_mailbox: str
    mail_claim_seconds: int
    mail_max_attempts: int
    ack_token_days: int
    challenge_minutes: int
    helpline_fail_limit: int
    exposure_limit: int
    session_secret: str
    session_idle_minutes: int
    session_max_hours: int
    sign_in_lock_attempts: int
    sign_in_lock_minutes: int
    sign_in_delay_max_ms: int
    sign_in_address_attempts: int
    sign_in_address_window_minutes: int
    reminder_time: time
    reminder_limit: int
    escalation_time: time
    summary_delay_minutes: int
    scheduler_lease_seconds: int
    register_max_bytes: int = 5_000_000  # a register import reads at most this much
    register_max_lines: int = 50_000
    max_request_kib: int = 256  # a request body larger than this is refused at once
    max_form_field_chars: int = 10_000
    incident_reports_per_hour: int = 5  # per SPoC link
    web_max_in_flight: int = 8  # requests a web process works on at once (backpressure)
    web_queue_wait_ms: int = 100  # how long one more may wait for a place before a 503
    web_finish_wait_ms: int = 2000  # the same for a helpline answer, which goes first
    web_retry_after_seconds: int = 1
    helpline_phone: str = "0345 6044015"  # Provider Direct's number (§19)
    log_format: str = "human"  # human, json, or auto (json when stderr is no terminal)
    metrics_allow: tuple[IPNetwork, ...] = ()
    metrics_token: str = ""
    # Retention (docs/security.md, "Retention"): months personal data is kept.
    retention_mail_months: int = 13
    retention_address_months: int = 13
    retention_removed_spoc_months: int = 13
    retention_incident_months: int = 24
    retention_time: time | None = time(3, 30)  # the daily purge (local); None: no job

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def keys_dir(self) -> Path:
        return self.home / "keys"

    @property
    def mail_dir(self) -> Path:
        return self.home / "mail"

    def __repr__(self) -> str:  # never print a secret
        shown = {
            f.name: (
                "***" if f.name in SECRETS and getattr(self, f.name) else getattr(self, f.name)
            )
            for f in fields(self)
        }
        return f"Settings({shown})"


def _raw_values(environ: Mapping[str, str], defaults_file: Path) -> dict[str, Any]:
    try:
        values: dict[str, Any] = tomllib.loads(settings_text(defaults_file))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{defaults_file}: {exc}") from None
    known = {f.name for f in fields(Settings)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigurationError(f"{defaults_file}: unknown setting {unknown[0]!r}")
    for name in known:
        env_name = PREFIX + name.upper()
        if env_name in environ:
            values[name] = environ[env_name]
        if name in SECRETS and environ.get(env_name + "_FILE"):
            values[name] = secret_from_file(env_name + "_FILE", Path(environ[env_name + "_FILE"]))
    return values


def default_settings_file() -> Path:
    """The package's own copy when there is one (an installed wheel), else the checkout's."""
    return PACKAGED_DEFAULTS if PACKAGED_DEFAULTS.is_file() else CHECKOUT_DEFAULTS


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read the settings; raise ``ConfigurationError`` naming the first bad one."""
    env = os.environ if environ is None else environ
    defaults_file = Path(env.get(PREFIX + "CONFIG", "") or default_settings_file())
    raw = _raw_values(env, defaults_file)

    home = Path(str(raw["home"]) or "./var").expanduser()
    database_url = str(raw["database_url"]).strip() or f"sqlite:///{home / 'codeservice.db'}"
    if not database_url.startswith(("sqlite:", "postgresql")):
        raise ConfigurationError(
            f"{PREFIX}DATABASE_URL: expected a sqlite:/// or postgresql+psycopg:// URL, "
            f"got {database_url.split(':', 1)[0]!r}"
        )
    if database_url.startswith("postgresql://") or database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url.split("://", 1)[1]

    base_url = str(raw["base_url"]).strip().rstrip("/")
    parts = urlsplit(base_url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ConfigurationError(
            f"{PREFIX}BASE_URL: expected an http:// or https:// address, got {base_url!r}"
        )

    timezone = str(raw["timezone"]).strip()
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigurationError(f"{PREFIX}TIMEZONE: unknown time zone {timezone!r}") from None

    log_level = str(raw["log_level"]).strip().upper()
    if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ConfigurationError(f"{PREFIX}LOG_LEVEL: expected DEBUG, INFO, WARNING or ERROR")

    excluded = str(raw["code_excluded_characters"])
    master_key_file = str(raw["master_key_file"]).strip()
    key_file = Path(master_key_file) if master_key_file else home / "keys" / "keyring.json"
    anchor_setting = str(raw.get("audit_anchor_file", "")).strip()
    anchor_file = Path(anchor_setting) if anchor_setting else key_file.parent / "audit-anchor.json"
    smtp_port = _as_int("smtp_port", raw["smtp_port"], minimum=1)
    if smtp_port > 65535:
        raise ConfigurationError(f"{PREFIX}SMTP_PORT: must be at most 65535, got {smtp_port}")
    for mailbox in ("bmt_mailbox", "security_mailbox"):
        if "@" not in str(raw[mailbox]):
            raise ConfigurationError(f"{PREFIX}{mailbox.upper()}: expected an email address")

    exposure_limit = _as_int("exposure_limit", raw["exposure_limit"], minimum=1)
    if exposure_limit > 8:
        raise ConfigurationError(
            f"{PREFIX}EXPOSURE_LIMIT: a code has 8 positions; expected 1 to 8, got {exposure_limit}"
        )

    return Settings(
        home=home,
        database_url=database_url,
        base_url=base_url,
        timezone=timezone,
        log_level=log_level,
        holiday_moves_issue_day=_as_bool("holiday_moves_issue_day", raw["holiday_moves_issue_day"]),
        issue_time=_as_time("issue_time", raw["issue_time"]),
        code_excluded_characters=excluded,
        master_key_file=key_file,
        audit_anchor_file=Path(anchor_file)
        if anchor_file
        else key_file.parent / "audit-anchor.json",
        smtp_host=str(raw["smtp_host"]).strip(),
        smtp_port=smtp_port,
        smtp_starttls=_as_bool("smtp_starttls", raw["smtp_starttls"]),
        smtp_username=str(raw["smtp_username"]),
        smtp_password=str(raw["smtp_password"]),
        smtp_timeout_seconds=float(_as_int("smtp_timeout_seconds", raw["smtp_timeout_seconds"], 1)),
        smtp_connections=_as_int("smtp_connections", raw["smtp_connections"], minimum=1),
        mail_from=str(raw["mail_from"]),
        bmt_mailbox=str(raw["bmt_mailbox"]),
        security_mailbox=str(raw["security_mailbox"]),
        mail_claim_seconds=_as_int("mail_claim_seconds", raw["mail_claim_seconds"], minimum=10),
        mail_max_attempts=_as_int("mail_max_attempts", raw["mail_max_attempts"], minimum=1),
        ack_token_days=_as_int("ack_token_days", raw["ack_token_days"], minimum=1),
        challenge_minutes=_as_int("challenge_minutes", raw["challenge_minutes"], minimum=1),
        helpline_fail_limit=_as_int("helpline_fail_limit", raw["helpline_fail_limit"], minimum=1),
        exposure_limit=exposure_limit,
        session_secret=str(raw["session_secret"]),
        session_idle_minutes=_as_int("session_idle_minutes", raw["session_idle_minutes"], 1),
        session_max_hours=_as_int("session_max_hours", raw["session_max_hours"], minimum=1),
        sign_in_lock_attempts=_as_int("sign_in_lock_attempts", raw["sign_in_lock_attempts"], 1),
        sign_in_lock_minutes=_as_int("sign_in_lock_minutes", raw["sign_in_lock_minutes"], 1),
        sign_in_delay_max_ms=_as_int("sign_in_delay_max_ms", raw["sign_in_delay_max_ms"]),
        sign_in_address_attempts=_as_int(
            "sign_in_address_attempts", raw["sign_in_address_attempts"], minimum=1
        ),
        sign_in_address_window_minutes=_as_int(
            "sign_in_address_window_minutes", raw["sign_in_address_window_minutes"], minimum=1
        ),
        reminder_time=_as_time("reminder_time", raw["reminder_time"]),
        reminder_limit=_as_int("reminder_limit", raw["reminder_limit"]),
        escalation_time=_as_time("escalation_time", raw["escalation_time"]),
        summary_delay_minutes=_as_int("summary_delay_minutes", raw["summary_delay_minutes"]),
        scheduler_lease_seconds=_as_int(
            "scheduler_lease_seconds", raw["scheduler_lease_seconds"], minimum=6
        ),
        register_max_bytes=_as_int("register_max_bytes", raw["register_max_bytes"], minimum=1),
        register_max_lines=_as_int("register_max_lines", raw["register_max_lines"], minimum=2),
        max_request_kib=_as_int("max_request_kib", raw["max_request_kib"], minimum=16),
        max_form_field_chars=_as_int("max_form_field_chars", raw["max_form_field_chars"], 100),
        incident_reports_per_hour=_as_int(
            "incident_reports_per_hour", raw["incident_reports_per_hour"], minimum=1
        ),
        helpline_phone=str(raw["helpline_phone"]).strip(),
        web_max_in_flight=_as_int("web_max_in_flight", raw["web_max_in_flight"], minimum=1),
        web_queue_wait_ms=_as_int("web_queue_wait_ms", raw["web_queue_wait_ms"]),
        web_finish_wait_ms=_as_int("web_finish_wait_ms", raw["web_finish_wait_ms"]),
        web_retry_after_seconds=_as_int(
            "web_retry_after_seconds", raw["web_retry_after_seconds"], minimum=1
        ),
        **observability(raw),
        **_retention(raw),
    )


def _retention(raw: dict[str, Any]) -> dict[str, Any]:
    months = {
        name: _as_int(name, raw[name], minimum=1)
        for name in (
            "retention_mail_months",
            "retention_address_months",
            "retention_removed_spoc_months",
            "retention_incident_months",
        )
    }
    when = str(raw["retention_time"]).strip()
    return {**months, "retention_time": _as_time("retention_time", when) if when else None}

"""How the dispatcher reaches the SMTP server and paces the outbox."""

from __future__ import annotations

from dataclasses import dataclass, field
from email.headerregistry import Address
from email.utils import parseaddr
from functools import cached_property


class InvalidSetting(ValueError):
    """A mail setting is unusable; ``setting`` names it so the caller can say which."""

    def __init__(self, setting: str, message: str) -> None:
        super().__init__(message)
        self.setting = setting


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    mail_from: str
    starttls: bool = False
    username: str = ""
    password: str = field(default="", repr=False)
    timeout_seconds: float = 30.0
    connections: int = 4
    claim_seconds: int = 300
    max_attempts: int = 10
    poll_seconds: float = 5.0
    batch_size: int = 0  # 0: twice the number of connections

    def __post_init__(self) -> None:
        if not self.host.strip():
            raise InvalidSetting("smtp_host", "no SMTP server name given")
        if not 1 <= self.port <= 65535:
            raise InvalidSetting("smtp_port", f"{self.port} is not a TCP port")
        if "@" not in parseaddr(self.mail_from)[1]:
            raise InvalidSetting("mail_from", f"{self.mail_from!r} holds no email address")
        if self.connections < 1:
            raise InvalidSetting("smtp_connections", "at least one connection is needed")
        if self.claim_seconds < 1:
            raise InvalidSetting("mail_claim_seconds", "a claim must last at least a second")
        if self.max_attempts < 1:
            raise InvalidSetting("mail_max_attempts", "at least one attempt is needed")
        if bool(self.username) != bool(self.password):
            raise InvalidSetting(
                "smtp_username", "give both an SMTP user name and a password, or neither"
            )

    @cached_property
    def envelope_sender(self) -> str:
        """The bare address of ``mail_from`` (the SMTP MAIL FROM)."""
        return parseaddr(self.mail_from)[1]

    @property
    def sender_domain(self) -> str:
        return Address(addr_spec=self.envelope_sender).domain

    @property
    def claim_batch(self) -> int:
        return self.batch_size or 2 * self.connections

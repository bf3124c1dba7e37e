"""What the helpline's use cases need besides their unit of work and ``now``."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from codeservice.config import Settings
from codeservice.crypto.keyring import Keyring
from codeservice.services.mail import Postbox


@dataclass(frozen=True)
class Helpdesk:
    """The keyring (opening a code to compare, audit records), the postbox (the
    security team's lock alert) and the helpline's settings. The composition root
    builds it once (``container.helpdesk``)."""

    keyring: Keyring
    postbox: Postbox
    tz: ZoneInfo
    challenge_minutes: int
    fail_limit: int
    exposure_limit: int
    security_mailbox: str

    @classmethod
    def of(cls, settings: Settings, keyring: Keyring, postbox: Postbox) -> Helpdesk:
        return cls(
            keyring=keyring,
            postbox=postbox,
            tz=settings.tz,
            challenge_minutes=settings.challenge_minutes,
            fail_limit=settings.helpline_fail_limit,
            exposure_limit=settings.exposure_limit,
            security_mailbox=settings.security_mailbox,
        )

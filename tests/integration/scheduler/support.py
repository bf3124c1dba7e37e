"""A small register, a settable clock, and real mail sending for the scheduler's tests."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from codeservice.bootstrap import Container
from codeservice.storage.models import AccessCode, Delivery, Spoc
from mailer import dispatcher
from mailer.capture import capturing
from tests.support.register import import_register

# Two prime providers, three SPoCs: Northfield has Ann and Ben, Harbourside has Cat.
REGISTER = (
    b"ref,name,prime_ref,spoc_name,spoc_email,"
    b"security_plan_received,security_plan_approved,security_plan_changed\n"
    b"PRV001,Northfield Employment Ltd,,Ann Lee,ann.lee@northfield.example.org,"
    b"2024-01-08,2024-02-05,\n"
    b"PRV001,Northfield Employment Ltd,,Ben Cole,ben.cole@northfield.example.org,,,\n"
    b"PRV002,Harbourside Skills Ltd,,Cat Day,cat.day@harbourside.example.org,"
    b"2024-01-08,2024-02-05,\n"
)
ANN, BEN, CAT = (
    "ann.lee@northfield.example.org",
    "ben.cole@northfield.example.org",
    "cat.day@harbourside.example.org",
)


def load_register(container: Container) -> None:
    import_register(container, REGISTER, "providers.csv", actor="test")


@contextmanager
def mail_server(container: Container, maildir: Path, **settings: object) -> Iterator[Container]:
    """A capture SMTP server, and a container (same clock) whose mail goes to it."""
    with capturing(maildir) as controller:
        changed = dataclasses.replace(container.settings, smtp_port=controller.port, **settings)
        built = Container(changed, clock=container.clock)
        try:
            yield built
        finally:
            built.close()


def send_mail(container: Container) -> dispatcher.DispatchSummary:
    return asyncio.run(
        dispatcher.run(
            container.session_factory,
            container.smtp_config,
            container.mail_sealer,
            once=True,
            clock=container.now,
        )
    )


def acknowledge_directly(container: Container, email: str, cycle: str, at: datetime) -> None:
    """As if the SPoC had pressed the button (the web flow has its own tests)."""
    with container.uow() as uow:
        delivery = uow.session.scalar(
            select(Delivery)
            .join(Delivery.access_code)
            .join(Delivery.spoc)
            .where(Spoc.email == email, AccessCode.cycle == cycle, AccessCode.state != "revoked")
        )
        assert delivery is not None
        delivery.acknowledged_at = at
        uow.commit()

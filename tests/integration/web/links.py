"""Acknowledgement links to open, a settable clock, and what to compare before and after."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from codeservice.bootstrap import Container
from codeservice.domain.codes import Alphabet
from codeservice.domain.tokens import issue_token
from codeservice.services.distribution.codes import issue_access_code
from codeservice.storage.models import AccessCode, AuditRecord, Delivery, LinkToken, Provider, Spoc
from codeservice.web.csrf import Csrf
from mailer import outbox as mailer_outbox
from mailer.schema import outbox

# Cycle 2027-04: issued Wed 31 Mar 2027 09:00 BST, active Mon 5 Apr 00:00 BST to Mon 3 May.
ISSUED = datetime(2027, 3, 31, 8, 0, tzinfo=UTC)
ACTIVE_FROM = datetime(2027, 4, 4, 23, 0, tzinfo=UTC)
ACTIVE_UNTIL = datetime(2027, 5, 2, 23, 0, tzinfo=UTC)
NOW = datetime(2027, 4, 1, 9, 30, tzinfo=UTC)


@dataclass(frozen=True)
class AckLink:
    token: str
    link_id: int
    delivery_id: int
    spoc_id: int
    access_code_id: int
    spoc_email: str

    @property
    def path(self) -> str:
        return f"/ack/{self.token}"


def make_ack_link(
    container: Container,
    *,
    provider_ref: str = "PRV001",
    provider_name: str = "Northfield Ltd",
    spoc_name: str = "Ann Lee",
    spoc_email: str = "ann.lee@example.org",
    expires_at: datetime = NOW + timedelta(days=30),
) -> AckLink:
    """A provider with a SPoC, an issued code for cycle 2027-04, a delivery and its link."""
    with container.uow() as uow:
        provider = uow.register.get_provider(provider_ref)
        if provider is None:
            provider = Provider(
                ref=provider_ref,
                name=provider_name,
                security_plan_received_on=date(2024, 1, 8),
                security_plan_approved_on=date(2024, 2, 5),
                created_at=ISSUED,
                updated_at=ISSUED,
            )
            uow.session.add(provider)
            uow.session.flush()
        code = uow.codes.live_for(provider.id, "2027-04")
        if code is None:
            code = issue_access_code(
                uow,
                container.keyring,
                provider=provider,
                cycle="2027-04",
                issue_at=ISSUED,
                active_from=ACTIVE_FROM,
                active_until=ACTIVE_UNTIL,
                now=ISSUED,
                alphabet=Alphabet.from_excluded(),
            ).access_code
        spoc = Spoc(
            provider=provider,
            name=spoc_name,
            email=spoc_email,
            created_at=ISSUED,
            updated_at=ISSUED,
        )
        delivery = Delivery(access_code=code, spoc=spoc, created_at=ISSUED)
        issued = issue_token()
        link = LinkToken(
            digest=issued.digest,
            purpose="acknowledge",
            spoc=spoc,
            delivery=delivery,
            created_at=ISSUED,
            expires_at=expires_at,
        )
        uow.session.add_all([spoc, delivery, link])
        uow.session.flush()
        made = AckLink(
            token=issued.token,
            link_id=link.id,
            delivery_id=delivery.id,
            spoc_id=spoc.id,
            access_code_id=code.id,
            spoc_email=spoc_email,
        )
        uow.commit()
    return made


def change(container: Container, model: type[Any], row_id: int, **values: Any) -> None:
    with container.uow() as uow:
        row = uow.session.get(model, row_id)
        assert row is not None
        for name, value in values.items():
            setattr(row, name, value)
        uow.commit()


def outbox_rows(container: Container) -> list[tuple[int, str, str]]:
    """(id, recipients, category) of every queued email."""
    with container.uow() as uow:
        return _outbox_rows(uow.session)


def _outbox_rows(session: Session) -> list[tuple[int, str, str]]:
    query = select(outbox.c.id, outbox.c.recipients, outbox.c.category).order_by(outbox.c.id)
    return [(r.id, r.recipients, r.category) for r in session.execute(query)]


def set_password_link(container: Container, to: str) -> str:
    """The set-password path in the newest email queued to ``to``."""
    with container.uow() as uow:
        query = select(outbox.c.id).where(
            outbox.c.category == "staff-password-link",
            outbox.c.recipients.contains(to),
        )
        ids = list(uow.session.scalars(query.order_by(outbox.c.id)))
        entry = mailer_outbox.by_ids(uow.session, ids[-1:])[0]
        body = mailer_outbox.open_message(entry, container.keyring).get_body(("plain",))
        assert body is not None
        text = body.get_content()
    match = re.search(r"http://[^/\s]+(/set-password/[A-Za-z0-9_-]{43})", text)
    assert match, text
    return match.group(1)


def snapshot(container: Container) -> dict[str, list[tuple[Any, ...]]]:
    """Every row that acknowledging could touch."""
    with container.uow() as uow:
        session = uow.session
        return {
            "deliveries": [
                (
                    d.id,
                    d.acknowledged_at,
                    d.acknowledged_ip,
                    d.acknowledged_user_agent,
                    d.unlock_message_id,
                )
                for d in session.scalars(select(Delivery).order_by(Delivery.id))
            ],
            "links": [
                (t.id, t.expires_at, t.replaced_at, t.replaced_reason)
                for t in session.scalars(select(LinkToken).order_by(LinkToken.id))
            ],
            "codes": [
                (c.id, c.state) for c in session.scalars(select(AccessCode).order_by(AccessCode.id))
            ],
            "audit": [
                (a.seq, a.action, a.actor, a.details)
                for a in session.scalars(select(AuditRecord).order_by(AuditRecord.seq))
            ],
            "outbox": _outbox_rows(session),
        }


def csrf_field(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def csrf_field_of_form(html: str, action: str) -> str:
    """The CSRF field of the page's form sent to ``action`` (each form has its own).

    A page whose one form has no ``action`` (it is sent back to the page) gives its own.
    """
    start = html.find(f'action="{action}"')
    return csrf_field(html[start:] if start >= 0 else html)


def csrf_for(client: TestClient, path: str) -> str:
    """A valid field for a form sent to ``path``, as that form's page would give this client.

    The client needs its ``csrf`` cookie already (from any page with a form).
    """
    csrf: Csrf = client.app.state.csrf  # type: ignore[attr-defined]
    return csrf.token_for(client.cookies["csrf"], path)


def open_and_confirm(client: TestClient, path: str, **headers: str) -> Any:
    """What a SPoC does: open the link, press the button."""
    page = client.get(path)
    assert page.status_code == 200
    return client.post(path, data={"csrf_token": csrf_field(page.text)}, headers=headers)

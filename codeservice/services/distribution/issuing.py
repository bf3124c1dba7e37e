"""Issuing one code to a provider's SPoCs, shared by the rotation and the reissue.

Inside the caller's transaction: the sealed code, one delivery and acknowledgement
link per active SPoC, and email 1 to each — so that they commit together or not at
all. The document is built and encrypted before (CPU work stays out of transactions).
A SPoC added after issue day gets the same delivery and email later, through
``deliver_to_spoc`` and the document rebuilt by ``rebuilt_content``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from codeservice.crypto.keyring import Keyring
from codeservice.documents import DocumentContent
from codeservice.domain.calendar import Cycle
from codeservice.domain.codes import Alphabet, CodeState
from codeservice.domain.wording import reissue_reason
from codeservice.services.distribution.codes import (
    CodeMaterial,
    issue_access_code,
    reveal_access_code,
)
from codeservice.services.distribution.notifications import queue_document_email
from codeservice.services.mail import Mailroom
from codeservice.storage.models import AccessCode, Delivery, Provider, Spoc
from codeservice.storage.uow import UnitOfWork


@dataclass(frozen=True)
class Issuer:
    """What issuing a code needs besides its unit of work: the mailroom (keyring,
    postbox, the settings email 1 is written with) and the alphabet codes are drawn
    from. Built by the composition root (``container.issuer``)."""

    mailroom: Mailroom
    alphabet: Alphabet

    @property
    def keyring(self) -> Keyring:
        return self.mailroom.keyring


@dataclass(frozen=True)
class IssuedToSpocs:
    access_code: AccessCode
    spocs: int
    emails_queued: int


@dataclass(frozen=True)
class PreparedCode:
    """Drawn material and its encrypted document, ready for ``issue_to_spocs``."""

    material: CodeMaterial = field(repr=False)
    document: bytes = field(repr=False)


def document_content(
    provider: Provider,
    *,
    cycle: Cycle,
    active_from: datetime,
    active_until: datetime,
    issued_at: datetime,
    material: CodeMaterial | None = None,
    reissue_reason: str | None = None,
) -> DocumentContent:
    """The document's content; without ``material`` a template to fill in later."""
    content = DocumentContent(
        provider_name=provider.name,
        provider_ref=provider.ref,
        prime_name=None,
        cycle=str(cycle),
        active_from=active_from,
        active_until=active_until,
        issued_at=issued_at,
        access_code="-",
        document_ref="-",
        reissue_reason=reissue_reason,
    )
    return content if material is None else with_code(content, material)


def with_code(template: DocumentContent, material: CodeMaterial) -> DocumentContent:
    return replace(template, access_code=material.code, document_ref=material.document_ref)


def issue_to_spocs(
    uow: UnitOfWork,
    issuer: Issuer,
    *,
    provider: Provider,
    cycle: Cycle,
    issue_at: datetime,
    active_from: datetime,
    active_until: datetime,
    state: CodeState,
    prepared: PreparedCode,
    now: datetime,
    replaces: AccessCode | None = None,
    reissue_reason: str | None = None,
) -> IssuedToSpocs:
    """Store the code and queue email 1 to every active SPoC (flushed, not committed)."""
    issued = issue_access_code(
        uow,
        issuer.keyring,
        provider=provider,
        cycle=cycle,
        issue_at=issue_at,
        active_from=active_from,
        active_until=active_until,
        now=now,
        alphabet=issuer.alphabet,
        replaces=replaces,
        state=state,
        material=prepared.material,
    )
    code = issued.access_code
    spocs = uow.register.active_spocs(provider)
    for spoc in spocs:
        deliver_to_spoc(uow, issuer.mailroom, code, spoc, prepared.document, now, reissue_reason)
    return IssuedToSpocs(access_code=code, spocs=len(spocs), emails_queued=len(spocs))


def deliver_to_spoc(
    uow: UnitOfWork,
    mailroom: Mailroom,
    code: AccessCode,
    spoc: Spoc,
    document: bytes,
    now: datetime,
    reissue_reason: str | None = None,
) -> Delivery:
    """One SPoC's delivery, acknowledgement link and email 1 (flushed, not committed).

    The rotation and the reissue call it for every SPoC at issue time, ``new_spocs``
    for a SPoC added later: the same rows and the same email whoever asks.
    """
    delivery = Delivery(access_code=code, spoc=spoc, created_at=now)
    uow.deliveries.add(delivery)
    queue_document_email(
        uow,
        mailroom,
        delivery=delivery,
        encrypted_document=document,
        now=now,
        reissue_reason=reissue_reason,
    )
    return delivery


def rebuilt_content(uow: UnitOfWork, keyring: Keyring, code: AccessCode) -> DocumentContent:
    """The document as first sent: same code, dates, reference and reissue notice.

    A code that replaced another carries the reissue notice in general terms, looked
    up from the reissue completed when it was issued.
    """
    reason = None
    if code.replaces_id is not None:
        reissue = uow.incidents.reissue_completed_at(code.provider_id, code.issued_at)
        from_incident = reissue is not None and reissue.incident_id is not None
        reason = reissue_reason(after_incident=from_incident)
    content = document_content(
        code.provider,
        cycle=code.cycle,
        active_from=code.active_from,
        active_until=code.active_until,
        issued_at=code.issued_at,
        reissue_reason=reason,
    )
    return replace(
        content,
        access_code=reveal_access_code(keyring, code),
        document_ref=code.document_ref,
    )

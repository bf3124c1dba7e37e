"""Issuing one code to a provider's SPoCs, shared by the rotation and the reissue.

Inside the caller's transaction: the sealed code, one delivery and acknowledgement
link per active SPoC, and email 1 to each — so that they commit together or not at
all. The document is built and encrypted before (CPU work stays out of transactions).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from codeservice.bootstrap import Container
from codeservice.documents import DocumentContent
from codeservice.domain.codes import Alphabet
from codeservice.domain.tokens import issue_token
from codeservice.services.codes import CodeMaterial, issue_access_code
from codeservice.services.notifications import ack_token_lifetime, queue_document_email
from codeservice.storage.models import AccessCode, Delivery, LinkToken, Provider
from codeservice.storage.uow import UnitOfWork


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
    cycle: str,
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
        cycle=cycle,
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
    container: Container,
    *,
    provider: Provider,
    cycle: str,
    issue_at: datetime,
    active_from: datetime,
    active_until: datetime,
    state: str,
    prepared: PreparedCode,
    now: datetime,
    replaces: AccessCode | None = None,
    reissue_reason: str | None = None,
) -> IssuedToSpocs:
    """Store the code and queue email 1 to every active SPoC (flushed, not committed)."""
    issued = issue_access_code(
        uow,
        container.keyring,
        provider=provider,
        cycle=cycle,
        issue_at=issue_at,
        active_from=active_from,
        active_until=active_until,
        now=now,
        alphabet=Alphabet.from_excluded(container.settings.code_excluded_characters),
        replaces=replaces,
        state=state,
        material=prepared.material,
    )
    code = issued.access_code
    spocs = uow.register.active_spocs(provider)
    for spoc in spocs:
        delivery = Delivery(access_code=code, spoc=spoc, created_at=now)
        uow.deliveries.add(delivery)
        token = issue_token()
        link = LinkToken(
            digest=token.digest,
            purpose="acknowledge",
            spoc=spoc,
            delivery=delivery,
            created_at=now,
            expires_at=max(now, active_from) + ack_token_lifetime(container),
        )
        uow.deliveries.add_token(link)
        uow.session.flush()
        queue_document_email(
            uow,
            container,
            delivery=delivery,
            link=link,
            token=token.token,
            encrypted_document=prepared.document,
            now=now,
            reissue_reason=reissue_reason,
        )
    return IssuedToSpocs(access_code=code, spocs=len(spocs), emails_queued=len(spocs))

"""SPoCs added after issue day get the codes in use.

A rotation or a reissue sends email 1 to the SPoCs active at that moment. A SPoC the
BMT adds later — typically the replacement of one who left mid-month — has no
delivery for the codes already issued, so nothing would ever reach them. Here they
get what the others got: the same document (rebuilt from the sealed code and unlock
code, so the same unlock code opens it), their own acknowledgement link, and after
acknowledging the same email 2.

Each code is sent in one transaction under a lock on its provider (the lock a
reissue takes too), rechecking who still has no delivery; the unique (code, SPoC)
delivery is the last guard. Two runs at once send one email each SPoC; a run killed
midway and run again sends the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from codeservice.domain.audit import AuditTag
from codeservice.domain.calendar import Cycle
from codeservice.domain.codes import STANDING, CodeState
from codeservice.errors import Conflict, NotFound
from codeservice.services.distribution.codes import reveal_unlock_code
from codeservice.services.distribution.document_work import DocumentJob, make_document
from codeservice.services.distribution.issuing import deliver_to_spoc, rebuilt_content
from codeservice.services.mail import Mailroom
from codeservice.services.operations import audit
from codeservice.storage.errors import ConstraintViolation
from codeservice.storage.models import AccessCode, Spoc
from codeservice.storage.uow import UnitOfWork


@dataclass(frozen=True)
class NewSpoc:
    """One active SPoC without the delivery of a code in use: who, and which code."""

    provider_ref: str
    provider_name: str
    cycle: str
    document_ref: str
    code_state: CodeState  # issued, or active once the Monday's activation job has run
    spoc_id: int
    spoc_name: str
    spoc_email: str
    code_id: int = field(repr=False)

    def as_dict(self) -> dict[str, Any]:
        found = asdict(self)
        del found["code_id"]
        return found


@dataclass(frozen=True)
class SentToSpoc:
    spoc: NewSpoc
    delivery_id: int
    message_id: int


@dataclass
class NewSpocsReport:
    """What a send did: ``sent`` now, and how many active SPoCs needed nothing."""

    sent: list[SentToSpoc] = field(default_factory=list)
    needed_nothing: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "sent": [
                {**s.spoc.as_dict(), "delivery_id": s.delivery_id, "message_id": s.message_id}
                for s in self.sent
            ],
            "needed_nothing": self.needed_nothing,
        }


@dataclass(frozen=True)
class _Pair:
    """An active SPoC of a live code's provider, and whether they have its delivery."""

    code: AccessCode
    spoc: Spoc
    delivered: bool


def pending_new_spocs(
    uow: UnitOfWork,
    *,
    cycle: str | None = None,
    provider_ref: str | None = None,
    now: datetime,
) -> list[NewSpoc]:
    """Every active SPoC of an active prime provider without the code in use (or next);
    reads only (the caller opens a read unit of work)."""
    pairs = _pairs(uow, now, *_scope(uow, cycle, provider_ref))
    return [_view(p) for p in pairs if not p.delivered]


def send_to_new_spocs(
    reading: Callable[[], UnitOfWork],
    writing: Callable[[], UnitOfWork],
    mailroom: Mailroom,
    *,
    actor: str,
    source: str,
    cycle: str | None = None,
    provider_ref: str | None = None,
    only: Collection[tuple[int, int]] | None = None,
    now: datetime,
) -> NewSpocsReport:
    """Email 1 to every SPoC ``pending_new_spocs`` lists; the others need nothing.

    ``only`` — the (code id, SPoC id) pairs a confirmation page showed — keeps the send
    to what the person confirmed: a SPoC added since the page was shown waits for the
    next confirmation.

    Units of work from ``reading`` and ``writing`` (``container.read_uow``,
    ``container.uow``): each code is sent in a transaction of its own, committed, its
    document built before it opens.
    """
    report = NewSpocsReport()
    chosen = None if only is None else frozenset(only)
    with reading() as uow:  # each code is sent in its own transaction
        scope = _scope(uow, cycle, provider_ref)
        pairs = _pairs(uow, now, *scope)
        waiting = sorted({p.code.id for p in pairs if _to_send(p, chosen)})
        report.needed_nothing = sum(1 for p in pairs if p.code.id not in waiting)
    for code_id in waiting:
        _send_code(
            reading, writing, mailroom, code_id, report, chosen, actor=actor, source=source, now=now
        )
    return report


def _to_send(pair: _Pair, chosen: frozenset[tuple[int, int]] | None) -> bool:
    return not pair.delivered and (chosen is None or (pair.code.id, pair.spoc.id) in chosen)


def _send_code(
    reading: Callable[[], UnitOfWork],
    writing: Callable[[], UnitOfWork],
    mailroom: Mailroom,
    code_id: int,
    report: NewSpocsReport,
    chosen: frozenset[tuple[int, int]] | None,
    *,
    actor: str,
    source: str,
    now: datetime,
) -> None:
    with reading() as uow:  # what to build: the document is made outside
        code = uow.codes.get(code_id)
        assert code is not None
        content = rebuilt_content(uow, mailroom.keyring, code)
        unlock_code = reveal_unlock_code(mailroom.keyring, code)
    # Building and encrypting take a tenth of a second: outside the transaction.
    document = make_document(DocumentJob(content=content, unlock_code=unlock_code)).data

    with writing() as uow:
        code = uow.codes.get(code_id)
        assert code is not None
        # The lock a reissue takes: the code cannot be replaced while we send it, and a
        # second run waits here, then finds the deliveries this one made.
        uow.register.lock_provider(code.provider_id)
        uow.refresh(code)
        pairs = _pairs(uow, now, code_id=code_id)
        waiting = [p for p in pairs if _to_send(p, chosen)]
        try:
            sent = [
                _deliver(
                    uow, mailroom, code, pair, document, content.reissue_reason, now, actor, source
                )
                for pair in waiting
            ]
            uow.commit()
        except ConstraintViolation:  # another run made one of these deliveries first
            uow.rollback()
            report.needed_nothing += len(pairs)
            return
    report.sent.extend(sent)
    report.needed_nothing += len(pairs) - len(waiting)


def _deliver(
    uow: UnitOfWork,
    mailroom: Mailroom,
    code: AccessCode,
    pair: _Pair,
    document: bytes,
    reissue_reason: str | None,
    now: datetime,
    actor: str,
    source: str,
) -> SentToSpoc:
    delivery = deliver_to_spoc(uow, mailroom, code, pair.spoc, document, now, reissue_reason)
    assert delivery.document_message_id is not None
    audit.event(
        uow,
        mailroom.keyring,
        AuditTag.MAIL_DOCUMENT_NEW_SPOC,
        actor=actor,
        source=source,
        now=now,
        provider=code.provider.ref,
        cycle=str(code.cycle),
        document_ref=code.document_ref,
        delivery_id=delivery.id,
        spoc_id=pair.spoc.id,
        message_id=delivery.document_message_id,
    )
    return SentToSpoc(_view(pair), delivery.id, delivery.document_message_id)


def _scope(
    uow: UnitOfWork, cycle: str | None, provider_ref: str | None
) -> tuple[Cycle | None, int | None]:
    """The filters, checked: a cycle, a prime provider's id."""
    chosen = None if cycle is None else Cycle.parse(cycle)
    if provider_ref is None:
        return chosen, None
    provider = uow.register.get_provider(provider_ref.strip())
    if provider is None:
        raise NotFound(f"no provider with ref {provider_ref!r} is on the register")
    if provider.prime is not None:
        raise Conflict(
            f"{provider.ref} is a subcontractor of {provider.prime.ref}; access codes and "
            f"SPoCs belong to prime providers: use --provider {provider.prime.ref}"
        )
    if not provider.active:
        raise Conflict(f"{provider.name} ({provider.ref}) is no longer an active provider")
    return chosen, provider.id


def _pairs(
    uow: UnitOfWork,
    now: datetime,
    cycle: Cycle | None = None,
    provider_id: int | None = None,
    *,
    code_id: int | None = None,
) -> list[_Pair]:
    """Live codes of active primes × their active SPoCs, with any delivery between them."""
    rows = uow.deliveries.code_spoc_pairs(
        now, STANDING, cycle=cycle, provider_id=provider_id, code_id=code_id
    )
    return [_Pair(code, spoc, delivered=delivered) for code, spoc, delivered in rows]


def _view(pair: _Pair) -> NewSpoc:
    code, spoc = pair.code, pair.spoc
    return NewSpoc(
        provider_ref=code.provider.ref,
        provider_name=code.provider.name,
        cycle=str(code.cycle),
        document_ref=code.document_ref,
        code_state=code.state,
        spoc_id=spoc.id,
        spoc_name=spoc.name,
        spoc_email=spoc.email,
        code_id=code.id,
    )

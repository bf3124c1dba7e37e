"""How a cycle stands, read once for everyone who asks: the dashboard and its API, the
``status`` command and the BMT summary email all start from these rows."""

from __future__ import annotations

from datetime import datetime

from codeservice.domain.calendar import Cycle
from codeservice.domain.tokens import TokenPurpose
from codeservice.services.distribution.board import NOT_ISSUED, RESENT, ProviderRow, SpocRow
from codeservice.storage.models import AccessCode, Delivery, Provider
from codeservice.storage.uow import UnitOfWork
from mailer.entry import OutboxEntry


def provider_rows(uow: UnitOfWork, cycle: Cycle) -> list[ProviderRow]:
    """One row per prime provider and code of the cycle, by ref: its SPoCs' deliveries
    with their emails' states, or why no code was issued."""
    codes = uow.codes.for_cycle(cycle)
    deliveries = uow.deliveries.for_cycle(cycle)
    ids = [i for d in deliveries for i in (d.document_message_id, d.unlock_message_id) if i]
    messages = {entry.id: entry for entry in uow.outbox.by_ids(ids)}
    resends = uow.deliveries.replaced_link_counts(
        [d.id for d in deliveries], purpose=TokenPurpose.ACKNOWLEDGE, reason=RESENT
    )
    primes = uow.register.active_primes()
    failures = uow.codes.failures_for_cycle(cycle)

    refs = {code.id: code.document_ref for code in codes}
    replaced_by = {code.replaces_id: code.document_ref for code in codes if code.replaces_id}
    by_provider: dict[int, list[AccessCode]] = {}
    for code in codes:
        by_provider.setdefault(code.provider_id, []).append(code)
    by_code: dict[int, list[SpocRow]] = {}
    for delivery in deliveries:
        by_code.setdefault(delivery.access_code_id, []).append(
            _spoc_row(delivery, messages, resends.get(delivery.id, (0, None)))
        )

    shown: dict[int, Provider] = {p.id: p for p in primes}
    for code in codes:
        shown.setdefault(code.provider_id, code.provider)
    rows: list[ProviderRow] = []
    for provider in sorted(shown.values(), key=lambda p: p.ref):
        provider_codes = by_provider.get(provider.id, [])
        if not provider_codes:
            failure = failures.get(provider.id)
            rows.append(
                ProviderRow(
                    provider.ref,
                    provider.name,
                    NOT_ISSUED,
                    issue_error=None if failure is None else failure.reason,
                )
            )
        for code in provider_codes:
            rows.append(
                ProviderRow(
                    provider.ref,
                    provider.name,
                    code.state,
                    document_ref=code.document_ref,
                    active_from=code.active_from,
                    replaced_by=replaced_by.get(code.id),
                    replaces=None if code.replaces_id is None else refs.get(code.replaces_id),
                    spocs=tuple(by_code.get(code.id, [])),
                )
            )
    return rows


def _spoc_row(
    delivery: Delivery,
    messages: dict[int, OutboxEntry],
    resends: tuple[int, datetime | None],
) -> SpocRow:
    document = messages.get(delivery.document_message_id or -1)
    unlock = messages.get(delivery.unlock_message_id or -1)
    return SpocRow(
        delivery_id=delivery.id,
        name=delivery.spoc.name,
        email=delivery.spoc.email,
        active=delivery.spoc.active,
        document_state=None if document is None else document.state,
        document_sent_at=None if document is None else document.sent_at,
        document_error=None if document is None else document.last_error,
        acknowledged_at=delivery.acknowledged_at,
        unlock_state=None if unlock is None else unlock.state,
        unlock_sent_at=None if unlock is None else unlock.sent_at,
        unlock_error=None if unlock is None else unlock.last_error,
        resent=resends[0],
        last_resent_at=resends[1],
    )

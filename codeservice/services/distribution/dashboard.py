"""What the BMT dashboard shows for a cycle, read from the database.

Where ``status.cycle_status`` reports what happened, this reads the same rows with
their ids (a resend names a delivery) and builds the ``board``.
"""

from __future__ import annotations

from datetime import datetime

from codeservice.bootstrap import Container
from codeservice.domain.calendar import Cycle
from codeservice.services.distribution.board import (
    RESENT,
    CycleBoard,
    ProviderRow,
    SpocRow,
    acknowledgements_by_day,
    count,
    phase_of,
)
from codeservice.services.distribution.issue_failures import not_issued_reason
from codeservice.services.distribution.notifications import ACKNOWLEDGE
from codeservice.storage.models import AccessCode, Delivery, Provider
from mailer import outbox
from mailer.entry import OutboxEntry


def cycle_board(container: Container, cycle: Cycle) -> CycleBoard:
    dates = container.calendar.dates(cycle)
    providers = _rows(container, cycle)
    spocs = [spoc for provider in providers if provider.counted for spoc in provider.spocs]
    return CycleBoard(
        cycle=cycle,
        dates=dates,
        phase=phase_of(dates, container.now()),
        providers=tuple(providers),
        counts=count(providers),
        acknowledgements=tuple(acknowledgements_by_day(dates, spocs, container.settings.tz)),
    )


def _rows(container: Container, cycle: Cycle) -> list[ProviderRow]:
    with container.read_uow() as uow:
        codes = uow.codes.for_cycle(str(cycle))
        deliveries = uow.deliveries.for_cycle(str(cycle))
        ids = [i for d in deliveries for i in (d.document_message_id, d.unlock_message_id) if i]
        messages = {entry.id: entry for entry in outbox.by_ids(uow.session, ids)}
        resends = uow.deliveries.replaced_link_counts(
            [d.id for d in deliveries], purpose=ACKNOWLEDGE, reason=RESENT
        )
        primes = uow.register.active_primes()
        failures = uow.codes.failures_for_cycle(str(cycle))

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
                        "not-issued",
                        issue_error=not_issued_reason(provider, failure),
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


def known_cycles(container: Container) -> list[Cycle]:
    """Every cycle that has codes, and the cycle in force and the next, newest first."""
    now = container.now()
    in_force = container.calendar.cycle_in_force(now)
    with container.read_uow() as uow:
        stored = uow.codes.cycles()
        cycles = {Cycle.parse(text) for text in stored}
    cycles |= {in_force, in_force.next()}
    return sorted(cycles, reverse=True)

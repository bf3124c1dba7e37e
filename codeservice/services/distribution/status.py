"""Where a cycle stands: per provider the code's state, per SPoC each step."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from codeservice.bootstrap import Container
from codeservice.domain.calendar import Cycle
from codeservice.domain.codes import CodeState
from codeservice.services.distribution.issue_failures import not_issued_reason
from codeservice.storage.models import AccessCode, Delivery, Provider
from mailer import outbox
from mailer.schema import MessageState


@dataclass
class SpocStatus:
    name: str
    email: str
    document_sent_at: datetime | None
    acknowledged_at: datetime | None
    unlock_sent_at: datetime | None
    delivery_error: str | None
    document_state: MessageState | None = None


@dataclass
class ProviderStatus:
    ref: str
    name: str
    code_state: str  # issued / active / retired / revoked / not-issued
    document_ref: str | None = None
    replaced_by: str | None = None  # a revoked code: its replacement's document ref
    replaces: str | None = None  # a replacement: the revoked code's document ref
    spocs: list[SpocStatus] = field(default_factory=list)
    issue_error: str | None = None  # not-issued: why the last rotation could not issue it


@dataclass
class CycleStatus:
    cycle: str
    providers: list[ProviderStatus]

    @property
    def reissues(self) -> int:
        """Codes of this cycle revoked and replaced by a security reissue."""
        return sum(1 for p in self.providers if p.code_state == CodeState.REVOKED and p.replaced_by)

    def to_json(self) -> dict[str, Any]:
        def iso(value: Any) -> Any:
            return value.isoformat() if isinstance(value, datetime) else value

        return {
            "cycle": self.cycle,
            "reissues": self.reissues,
            "providers": [
                {
                    "ref": p.ref,
                    "name": p.name,
                    "code_state": p.code_state,
                    "document_ref": p.document_ref,
                    "replaced_by": p.replaced_by,
                    "replaces": p.replaces,
                    "issue_error": p.issue_error,
                    "spocs": [
                        {key: iso(value) for key, value in asdict(spoc).items()} for spoc in p.spocs
                    ],
                }
                for p in self.providers
            ],
        }


def cycle_status(container: Container, cycle: Cycle) -> CycleStatus:
    with container.read_uow() as uow:
        session = uow.session
        codes = uow.codes.for_cycle(str(cycle))
        deliveries = uow.deliveries.for_cycle(str(cycle))
        message_ids = [
            i for d in deliveries for i in (d.document_message_id, d.unlock_message_id) if i
        ]
        messages = {row.id: row for row in outbox.by_ids(session, message_ids)}
        primes = uow.register.active_primes()
        failures = uow.codes.failures_for_cycle(str(cycle))

        refs = {code.id: code.document_ref for code in codes}
        replacements = {code.replaces_id: code.document_ref for code in codes if code.replaces_id}
        by_provider: dict[int, list[AccessCode]] = {}
        for code in codes:
            by_provider.setdefault(code.provider_id, []).append(code)
        by_code: dict[int, list[Delivery]] = {}
        for delivery in deliveries:
            by_code.setdefault(delivery.access_code_id, []).append(delivery)

        shown: list[Provider] = list(primes)
        shown += [c.provider for c in codes if c.provider not in shown]
        result: list[ProviderStatus] = []
        for provider in sorted(shown, key=lambda p: p.ref):
            provider_codes = by_provider.get(provider.id, [])
            if not provider_codes:
                failure = failures.get(provider.id)
                result.append(
                    ProviderStatus(
                        provider.ref,
                        provider.name,
                        "not-issued",
                        issue_error=not_issued_reason(provider, failure),
                    )
                )
                continue
            for code in provider_codes:
                entry = ProviderStatus(
                    provider.ref,
                    provider.name,
                    code.state,
                    document_ref=code.document_ref,
                    replaced_by=replacements.get(code.id),
                    replaces=None if code.replaces_id is None else refs.get(code.replaces_id),
                )
                for delivery in by_code.get(code.id, []):
                    document = messages.get(delivery.document_message_id or -1)
                    unlock = messages.get(delivery.unlock_message_id or -1)
                    errors = [
                        m.last_error
                        for m in (document, unlock)
                        if m is not None and m.state == "failed"
                    ]
                    entry.spocs.append(
                        SpocStatus(
                            name=delivery.spoc.name,
                            email=delivery.spoc.email,
                            document_sent_at=document.sent_at if document else None,
                            acknowledged_at=delivery.acknowledged_at,
                            unlock_sent_at=unlock.sent_at if unlock else None,
                            delivery_error=errors[0] if errors else None,
                            document_state=document.state if document else None,
                        )
                    )
                result.append(entry)
        return CycleStatus(cycle=str(cycle), providers=result)

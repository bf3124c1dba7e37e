from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import ColumnElement, delete, select, text
from sqlalchemy.orm import Session

from codeservice.domain.calendar import Cycle
from codeservice.domain.codes import CodeState
from codeservice.storage.models import AccessCode, Provider, RegisterUpload, Spoc

_PG_REGISTER_LOCK = 0x72656769  # "regi": one register import at a time


class RegisterRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def lock_for_import(self) -> None:
        """Serialise imports: two at once would both insert the same new refs.

        SQLite needs nothing here: every transaction starts with BEGIN IMMEDIATE.
        """
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_REGISTER_LOCK})

    def lock_provider(self, provider_id: int) -> Provider | None:
        """The provider's row, locked until commit: the one lock that every change to a
        provider's codes takes first — rotation, activation, reissue, acknowledgement,
        reminders, resends, new SPoCs, helpline challenges, answers and locks — so on
        PostgreSQL any two of them for one provider run one after the other.

        ``FOR NO KEY UPDATE``: it does not wait for, nor block, rows that merely refer
        to the provider (an incident report, an audit record). SQLite needs no lock:
        every transaction starts with BEGIN IMMEDIATE.
        """
        query = select(Provider).where(Provider.id == provider_id).with_for_update(key_share=True)
        return self.session.scalar(query)

    def lock_providers(self, provider_ids: Collection[int]) -> dict[int, Provider]:
        """``lock_provider`` for several providers in one statement, by id."""
        query = (
            select(Provider)
            .where(Provider.id.in_(provider_ids))
            .order_by(Provider.id)  # one order for every locker: no deadlock between them
            .with_for_update(key_share=True)
        )
        return {provider.id: provider for provider in self.session.scalars(query)}

    def can_skip_locked(self) -> bool:
        """Whether ``claim_waiting_primes`` can pass over rows others hold (PostgreSQL)."""
        return self.session.get_bind().dialect.name == "postgresql"

    def claim_waiting_primes(
        self, cycle: Cycle, *, skip: Collection[int], limit: int, wait: bool = False
    ) -> list[Provider]:
        """Up to ``limit`` active primes with no live code for ``cycle`` (not in ``skip``),
        by ref, locked until commit — passing over those another transaction holds
        (``SKIP LOCKED``), so several processes sharing a rotation each take their own;
        or, with ``wait``, waiting for the holder (who may have issued it meanwhile: check
        again once it is locked)."""
        query = (
            select(Provider)
            .where(*self._waiting(cycle, skip))
            .order_by(Provider.ref)
            .limit(limit)
            .with_for_update(key_share=True, skip_locked=not wait, of=Provider)
        )
        return list(self.session.scalars(query))

    @staticmethod
    def _waiting(cycle: Cycle, skip: Collection[int]) -> list[ColumnElement[bool]]:
        live = select(AccessCode.id).where(
            AccessCode.provider_id == Provider.id,
            AccessCode.cycle == cycle,
            AccessCode.state != CodeState.REVOKED,
        )
        conditions = [Provider.prime_id.is_(None), Provider.active.is_(True), ~live.exists()]
        if skip:
            conditions.append(Provider.id.not_in(skip))
        return conditions

    def add_provider(self, provider: Provider) -> None:
        self.session.add(provider)

    def add_spoc(self, spoc: Spoc) -> None:
        self.session.add(spoc)

    def flush(self) -> None:
        self.session.flush()

    def provider_by_id(self, provider_id: int) -> Provider | None:
        return self.session.get(Provider, provider_id)

    def spoc_by_id(self, spoc_id: int) -> Spoc | None:
        return self.session.get(Spoc, spoc_id)

    def get_provider(self, ref: str) -> Provider | None:
        return self.session.scalar(select(Provider).where(Provider.ref == ref))

    def all_providers(self) -> list[Provider]:
        return list(self.session.scalars(select(Provider).order_by(Provider.ref)))

    def all_spocs(self) -> list[Spoc]:
        return list(self.session.scalars(select(Spoc).order_by(Spoc.provider_id, Spoc.id)))

    def active_primes(self) -> list[Provider]:
        query = (
            select(Provider)
            .where(Provider.prime_id.is_(None), Provider.active.is_(True))
            .order_by(Provider.ref)
        )
        return list(self.session.scalars(query))

    def active_spocs(self, provider: Provider) -> list[Spoc]:
        query = (
            select(Spoc)
            .where(Spoc.provider_id == provider.id, Spoc.active.is_(True))
            .order_by(Spoc.id)
        )
        return list(self.session.scalars(query))

    def active_spocs_of(self, provider_ids: Collection[int]) -> dict[int, list[Spoc]]:
        """``active_spocs`` of several providers in one query, by provider id."""
        found: dict[int, list[Spoc]] = {provider_id: [] for provider_id in provider_ids}
        query = (
            select(Spoc)
            .where(Spoc.provider_id.in_(provider_ids), Spoc.active.is_(True))
            .order_by(Spoc.id)
        )
        for spoc in self.session.scalars(query):
            found[spoc.provider_id].append(spoc)
        return found

    def upload_by_key(self, key: str, *, lock: bool = False) -> RegisterUpload | None:
        """An uploaded file by its key; ``lock``: its row, locked until commit."""
        query = select(RegisterUpload).where(RegisterUpload.key == key)
        return self.session.scalar(query.with_for_update() if lock else query)

    def add_upload(self, upload: RegisterUpload) -> None:
        self.session.add(upload)
        self.session.flush()

    def drop_uploads_before(self, cutoff: datetime) -> int:
        """Forget uploads never applied and made before ``cutoff``; how many."""
        query = delete(RegisterUpload).where(
            RegisterUpload.applied_at.is_(None), RegisterUpload.created_at < cutoff
        )
        return int(getattr(self.session.execute(query), "rowcount", 0) or 0)

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from codeservice.storage.models import Provider, RegisterUpload, Spoc

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

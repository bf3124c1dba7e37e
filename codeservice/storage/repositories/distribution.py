from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, and_, func, select, update
from sqlalchemy.orm import Session, selectinload

from codeservice.domain.calendar import Cycle
from codeservice.domain.codes import CodeState
from codeservice.domain.tokens import TokenPurpose
from codeservice.storage.models import AccessCode, Delivery, LinkToken, Provider, Spoc


class DeliveryRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, delivery: Delivery) -> None:
        self.session.add(delivery)

    def token_by_digest(self, digest: bytes) -> LinkToken | None:
        return self.session.scalar(select(LinkToken).where(LinkToken.digest == digest))

    def add_token(self, token: LinkToken) -> None:
        self.session.add(token)

    def for_cycle(self, cycle: Cycle) -> list[Delivery]:
        """Every delivery of a cycle's codes, with its SPoC loaded."""
        query = (
            select(Delivery)
            .join(AccessCode)
            .where(AccessCode.cycle == cycle)
            .options(selectinload(Delivery.spoc))
            .order_by(Delivery.id)
        )
        return list(self.session.scalars(query))

    def for_codes(self, code_ids: list[int]) -> list[Delivery]:
        """Every delivery of these access codes."""
        if not code_ids:
            return []
        query = select(Delivery).where(Delivery.access_code_id.in_(code_ids)).order_by(Delivery.id)
        return list(self.session.scalars(query))

    def get_loaded(self, delivery_id: int, *, lock: bool = False) -> Delivery | None:
        """One delivery with its SPoC, code and provider; ``lock``: FOR UPDATE of the delivery."""
        query = (
            select(Delivery)
            .where(Delivery.id == delivery_id)
            .options(
                selectinload(Delivery.spoc),
                selectinload(Delivery.access_code).selectinload(AccessCode.provider),
            )
        )
        if lock:
            query = query.with_for_update(of=Delivery)
        return self.session.scalar(query)

    def unacknowledged(self, cycle: Cycle, states: Collection[CodeState]) -> list[Delivery]:
        """Deliveries of a cycle's codes in ``states`` to active SPoCs of active providers,
        not acknowledged yet; code, provider and SPoC loaded."""
        query = (
            select(Delivery)
            .join(Delivery.access_code)
            .join(Delivery.spoc)
            .join(AccessCode.provider)
            .where(
                AccessCode.cycle == cycle,
                AccessCode.state.in_(states),
                Delivery.acknowledged_at.is_(None),
                Spoc.active.is_(True),
                Provider.active.is_(True),
            )
            .options(selectinload(Delivery.access_code).selectinload(AccessCode.provider))
            .options(selectinload(Delivery.spoc))
            .order_by(Delivery.id)
        )
        return list(self.session.scalars(query))

    def acknowledge(self, delivery_id: int, *, at: datetime, ip: str, user_agent: str) -> bool:
        """Record the acknowledgement unless there is one: True if this call recorded it."""
        result: CursorResult[Any] = self.session.execute(  # type: ignore[assignment]
            update(Delivery)
            .where(Delivery.id == delivery_id, Delivery.acknowledged_at.is_(None))
            .values(acknowledged_at=at, acknowledged_ip=ip, acknowledged_user_agent=user_agent)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1

    def code_spoc_pairs(
        self,
        now: datetime,
        states: Collection[CodeState],
        *,
        cycle: Cycle | None = None,
        provider_id: int | None = None,
        code_id: int | None = None,
    ) -> list[tuple[AccessCode, Spoc, bool]]:
        """Codes in ``states`` still in use, of active primes, × their active SPoCs, and
        whether that SPoC has a delivery of that code; by provider ref, cycle, SPoC."""
        query = (
            select(AccessCode, Spoc, Delivery.id)
            .join(Provider, Provider.id == AccessCode.provider_id)
            .join(Spoc, and_(Spoc.provider_id == Provider.id, Spoc.active.is_(True)))
            .outerjoin(
                Delivery,
                and_(Delivery.access_code_id == AccessCode.id, Delivery.spoc_id == Spoc.id),
            )
            .where(
                AccessCode.state.in_(states),
                AccessCode.active_until > now,
                Provider.active.is_(True),
                Provider.prime_id.is_(None),
            )
            .order_by(Provider.ref, AccessCode.cycle, Spoc.id)
        )
        if cycle is not None:
            query = query.where(AccessCode.cycle == cycle)
        if provider_id is not None:
            query = query.where(Provider.id == provider_id)
        if code_id is not None:
            query = query.where(AccessCode.id == code_id)
        rows = self.session.execute(query).all()
        return [(code, spoc, delivery_id is not None) for code, spoc, delivery_id in rows]

    # --- acknowledgement links --------------------------------------------------------

    def replace_links(
        self, delivery_id: int, *, purpose: TokenPurpose, reason: str, now: datetime
    ) -> int:
        """Mark every live link of this purpose of the delivery replaced; how many were."""
        result = self.session.execute(
            update(LinkToken)
            .where(
                LinkToken.delivery_id == delivery_id,
                LinkToken.purpose == purpose,
                LinkToken.replaced_at.is_(None),
            )
            .values(replaced_at=now, replaced_reason=reason)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def replaced_link_counts(
        self, delivery_ids: list[int], *, purpose: TokenPurpose, reason: str
    ) -> dict[int, tuple[int, datetime | None]]:
        """By delivery: how many of its links were replaced for ``reason``, and the last when."""
        if not delivery_ids:
            return {}
        query = (
            select(LinkToken.delivery_id, func.count(), func.max(LinkToken.replaced_at))
            .where(
                LinkToken.delivery_id.in_(delivery_ids),
                LinkToken.purpose == purpose,
                LinkToken.replaced_reason == reason,
            )
            .group_by(LinkToken.delivery_id)
        )
        return {
            int(delivery_id): (int(n), last)
            for delivery_id, n, last in self.session.execute(query)
            if delivery_id is not None
        }

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from codeservice.storage.models import AccessCode, Delivery, LinkToken


class DeliveryRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, delivery: Delivery) -> None:
        self.session.add(delivery)

    def token_by_digest(self, digest: bytes) -> LinkToken | None:
        return self.session.scalar(select(LinkToken).where(LinkToken.digest == digest))

    def add_token(self, token: LinkToken) -> None:
        self.session.add(token)

    def for_cycle(self, cycle: str) -> list[Delivery]:
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

"""The register: prime providers, their subcontractors and their SPoCs."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from codeservice.domain.security_plan import SecurityPlan
from codeservice.storage.base import Base, UTCDateTime


class Provider(Base):
    __tablename__ = "providers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    prime_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # §17–18: a prime provider's security plan; without an approval date it is not on
    # the approved list. A subcontractor is covered by its prime's plan.
    security_plan_received_on: Mapped[date | None] = mapped_column(Date)
    security_plan_approved_on: Mapped[date | None] = mapped_column(Date)
    security_plan_changed_on: Mapped[date | None] = mapped_column(Date)

    prime: Mapped[Provider | None] = relationship(remote_side=[id], back_populates="subcontractors")
    subcontractors: Mapped[list[Provider]] = relationship(back_populates="prime")
    spocs: Mapped[list[Spoc]] = relationship(back_populates="provider", order_by="Spoc.id")

    @property
    def is_prime(self) -> bool:
        return self.prime_id is None

    @property
    def security_plan(self) -> SecurityPlan:
        """The provider's own plan dates (a subcontractor has none: see ``covering_plan``)."""
        return SecurityPlan(
            self.security_plan_received_on,
            self.security_plan_approved_on,
            self.security_plan_changed_on,
        )

    @security_plan.setter
    def security_plan(self, plan: SecurityPlan) -> None:
        self.security_plan_received_on = plan.received_on
        self.security_plan_approved_on = plan.approved_on
        self.security_plan_changed_on = plan.changed_on

    @property
    def covering_plan(self) -> SecurityPlan:
        """The plan that covers the provider: its own, or a subcontractor's prime's."""
        return (self.prime or self).security_plan


class Spoc(Base):
    """A Single Point of Contact at a prime provider (§16)."""

    __tablename__ = "spocs"
    __table_args__ = (UniqueConstraint("provider_id", "email"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    email: Mapped[str] = mapped_column(String(320))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When retention blanked the name and address of this removed SPoC.
    redacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    provider: Mapped[Provider] = relationship(back_populates="spocs")

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from codeservice.domain.calendar import Cycle
from codeservice.domain.codes import CodeState
from codeservice.storage.models import AccessCode, Delivery, IssueFailure


class AccessCodeRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, code: AccessCode) -> None:
        self.session.add(code)

    def add_if_unique(self, code: AccessCode) -> bool:
        """Insert in a savepoint; False if a unique constraint refused it (nothing kept)."""
        try:
            with self.session.begin_nested():
                self.session.add(code)
        except IntegrityError:
            return False
        return True

    def get(self, code_id: int) -> AccessCode | None:
        return self.session.get(AccessCode, code_id)

    def cycles(self) -> list[Cycle]:
        """Every cycle that has a code."""
        return list(self.session.scalars(select(AccessCode.cycle).distinct()))

    def totals_by_cycle(self) -> dict[Cycle, tuple[int, int, int, int]]:
        """Per cycle with codes: (codes standing, reissues, SPoCs sent a standing code,
        of whom acknowledged). Two grouped queries, whatever the number of cycles."""
        standing = AccessCode.state != CodeState.REVOKED
        codes = self.session.execute(
            select(
                AccessCode.cycle,
                func.count().filter(standing),
                func.count(AccessCode.replaces_id),
            ).group_by(AccessCode.cycle)
        )
        deliveries = self.session.execute(
            select(AccessCode.cycle, func.count(), func.count(Delivery.acknowledged_at))
            .join(Delivery, Delivery.access_code_id == AccessCode.id)
            .where(standing)
            .group_by(AccessCode.cycle)
        )
        sent = {cycle: (spocs, acknowledged) for cycle, spocs, acknowledged in deliveries}
        return {
            cycle: (count, reissues, *sent.get(cycle, (0, 0))) for cycle, count, reissues in codes
        }

    def in_cycle(self, cycle: Cycle, state: CodeState) -> list[AccessCode]:
        """A cycle's codes in ``state``, provider loaded, by id."""
        return self._with_provider(AccessCode.cycle == cycle, AccessCode.state == state)

    def before_cycle(self, cycle: Cycle, states: Collection[CodeState]) -> list[AccessCode]:
        """Codes of earlier cycles in ``states``, provider loaded, by cycle and id."""
        return self._with_provider(AccessCode.cycle < cycle, AccessCode.state.in_(states))

    def in_use_or_waiting(
        self, cycle: Cycle, states: Collection[CodeState], now: datetime
    ) -> list[AccessCode]:
        """A cycle's codes in ``states`` that end after ``now``, provider loaded."""
        return list(
            self.session.scalars(
                select(AccessCode)
                .where(
                    AccessCode.cycle == cycle,
                    AccessCode.state.in_(states),
                    AccessCode.active_until > now,
                )
                .options(selectinload(AccessCode.provider))
            )
        )

    def count_in_use_or_waiting(
        self, states: Collection[CodeState], now: datetime
    ) -> list[tuple[Cycle, int]]:
        """Per cycle, earliest first: how many codes in ``states`` end after ``now``."""
        rows = self.session.execute(
            select(AccessCode.cycle, func.count())
            .where(AccessCode.state.in_(states), AccessCode.active_until > now)
            .group_by(AccessCode.cycle)
            .order_by(AccessCode.cycle)
        )
        return [(cycle, int(n)) for cycle, n in rows]

    def _with_provider(self, *conditions: ColumnElement[bool]) -> list[AccessCode]:
        query = (
            select(AccessCode)
            .where(*conditions)
            .options(selectinload(AccessCode.provider))
            .order_by(AccessCode.cycle, AccessCode.id)
        )
        return list(self.session.scalars(query))

    def change_state(self, code_id: int, before: CodeState, after: CodeState) -> bool:
        """A conditional update: False when the code is no longer in ``before``."""
        result = self.session.execute(
            update(AccessCode)
            .where(AccessCode.id == code_id, AccessCode.state == before)
            .values(state=after)
            .execution_options(synchronize_session=False)
        )
        changed: bool = result.rowcount == 1  # type: ignore[attr-defined]
        return changed

    def live_for(self, provider_id: int, cycle: Cycle) -> AccessCode | None:
        query = select(AccessCode).where(
            AccessCode.provider_id == provider_id,
            AccessCode.cycle == cycle,
            AccessCode.state != CodeState.REVOKED,
        )
        return self.session.scalar(query)

    def live_provider_ids(
        self, cycle: Cycle, provider_ids: Collection[int] | None = None
    ) -> set[int]:
        """The providers (of ``provider_ids``, or all) that have a live code for ``cycle``."""
        query = select(AccessCode.provider_id).where(
            AccessCode.cycle == cycle, AccessCode.state != CodeState.REVOKED
        )
        if provider_ids is not None:
            query = query.where(AccessCode.provider_id.in_(provider_ids))
        return set(self.session.scalars(query))

    def any_used(self, fingerprints: Collection[bytes], document_refs: Collection[str]) -> bool:
        """Whether any of these fingerprints or document references is taken (one query)."""
        query = select(AccessCode.id).where(
            AccessCode.fingerprint.in_(fingerprints) | AccessCode.document_ref.in_(document_refs)
        )
        return self.session.scalar(query.limit(1)) is not None

    def add_all(self, codes: Collection[AccessCode]) -> None:
        """Add new codes; the next flush inserts them together."""
        self.session.add_all(codes)

    def of_provider(self, provider_id: int) -> list[AccessCode]:
        """A provider's codes, the latest cycle first."""
        query = (
            select(AccessCode)
            .where(AccessCode.provider_id == provider_id)
            .order_by(AccessCode.cycle.desc(), AccessCode.id.desc())
        )
        return list(self.session.scalars(query))

    def fingerprint_exists(self, fingerprint: bytes) -> bool:
        query = select(AccessCode.id).where(AccessCode.fingerprint == fingerprint)
        return self.session.scalar(query) is not None

    def document_ref_exists(self, document_ref: str) -> bool:
        query = select(AccessCode.id).where(AccessCode.document_ref == document_ref)
        return self.session.scalar(query) is not None

    def count_by_key_id(self) -> dict[str, int]:
        query = select(AccessCode.key_id, func.count()).group_by(AccessCode.key_id)
        return {key_id: count for key_id, count in self.session.execute(query)}

    def count_not_under(self, key_id: str) -> int:
        query = select(func.count()).select_from(AccessCode).where(AccessCode.key_id != key_id)
        return self.session.scalar(query) or 0

    def sealed_not_under(self, key_id: str, *, limit: int) -> list[AccessCode]:
        """Codes sealed under another key, oldest first, locked for a re-seal."""
        query = (
            select(AccessCode)
            .where(AccessCode.key_id != key_id)
            .order_by(AccessCode.id)
            .limit(limit)
            .with_for_update()
        )
        return list(self.session.scalars(query))

    def for_cycle(self, cycle: Cycle) -> list[AccessCode]:
        """Every code of a cycle (revoked ones too), with its provider loaded."""
        query = (
            select(AccessCode)
            .where(AccessCode.cycle == cycle)
            .options(selectinload(AccessCode.provider))
            .order_by(AccessCode.id)
        )
        return list(self.session.scalars(query))

    # --- providers a rotation could not issue -----------------------------------------

    def record_failure(
        self, provider_id: int, cycle: Cycle, reason: str, now: datetime
    ) -> IssueFailure:
        """Note (or count again) a failed issue of this provider's code for this cycle."""
        for _ in range(2):  # a concurrent rotation may insert the row between the two
            row = self.session.scalar(
                select(IssueFailure).where(
                    IssueFailure.provider_id == provider_id, IssueFailure.cycle == cycle
                )
            )
            if row is not None:
                row.reason, row.last_failed_at = reason, now
                row.attempts += 1
                self.session.flush()
                return row
            row = IssueFailure(
                provider_id=provider_id,
                cycle=cycle,
                reason=reason,
                attempts=1,
                first_failed_at=now,
                last_failed_at=now,
            )
            try:
                with self.session.begin_nested():
                    self.session.add(row)
            except IntegrityError:
                continue
            return row
        raise RuntimeError("could not record the failed issue")  # pragma: no cover

    def clear_failure(self, provider_id: int, cycle: Cycle) -> None:
        self.session.execute(
            delete(IssueFailure).where(
                IssueFailure.provider_id == provider_id, IssueFailure.cycle == cycle
            )
        )

    def clear_failures(self, provider_ids: Collection[int], cycle: Cycle) -> None:
        self.session.execute(
            delete(IssueFailure).where(
                IssueFailure.provider_id.in_(provider_ids), IssueFailure.cycle == cycle
            )
        )

    def failures_for_cycle(self, cycle: Cycle) -> dict[int, IssueFailure]:
        """The providers whose code for ``cycle`` could not be issued, by provider id."""
        query = select(IssueFailure).where(IssueFailure.cycle == cycle)
        return {row.provider_id: row for row in self.session.scalars(query)}

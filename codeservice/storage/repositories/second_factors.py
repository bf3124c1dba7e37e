"""Staff second factors, recovery codes and ceremony challenges."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from codeservice.storage.models import FactorChallenge, RecoveryCode, SecondFactor


class SecondFactorRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def factors_of(self, user_id: int) -> list[SecondFactor]:
        query = select(SecondFactor).where(SecondFactor.user_id == user_id)
        return list(self.session.scalars(query.order_by(SecondFactor.id)))

    def factor_count(self, user_id: int) -> int:
        query = select(func.count()).select_from(SecondFactor)
        return self.session.scalar(query.where(SecondFactor.user_id == user_id)) or 0

    def add_factor(self, factor: SecondFactor) -> None:
        self.session.add(factor)
        self.session.flush()

    def remove_factor(self, factor: SecondFactor) -> None:
        self.session.delete(factor)
        self.session.flush()

    def factor_by_credential(self, credential_id: bytes) -> SecondFactor | None:
        query = select(SecondFactor).where(SecondFactor.credential_id == credential_id)
        return self.session.scalar(query)

    def use_totp_step(self, factor_id: int, step: int, now: datetime) -> bool:
        """Record ``step`` as used, only if it is later than the last one: False when
        another request used it (or a later one) first."""
        last = SecondFactor.last_totp_step
        result = self.session.execute(
            update(SecondFactor)
            .where(SecondFactor.id == factor_id, (last.is_(None)) | (last < step))
            .values(last_totp_step=step, last_used_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def recovery_codes_left(self, user_id: int) -> int:
        query = select(func.count()).select_from(RecoveryCode)
        query = query.where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
        return self.session.scalar(query) or 0

    def replace_recovery_codes(self, user_id: int, codes: list[RecoveryCode]) -> None:
        """The account's old codes stop working; these are its codes now."""
        self.delete_recovery_codes(user_id)
        self.session.add_all(codes)
        self.session.flush()

    def delete_recovery_codes(self, user_id: int) -> int:
        result = self.session.execute(
            delete(RecoveryCode)
            .where(RecoveryCode.user_id == user_id)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    def use_recovery_code(self, user_id: int, digest: bytes, now: datetime) -> bool:
        """Mark the account's unused code with this digest used: False if there is none."""
        result = self.session.execute(
            update(RecoveryCode)
            .where(
                RecoveryCode.user_id == user_id,
                RecoveryCode.digest == digest,
                RecoveryCode.used_at.is_(None),
            )
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def delete_factors(self, user_id: int) -> int:
        result = self.session.execute(
            delete(SecondFactor)
            .where(SecondFactor.user_id == user_id)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    def reseal_all(self, reseal: Callable[[bytes], bytes]) -> int:
        """Pass every sealed TOTP key and challenge through ``reseal``; how many changed."""
        changed = 0
        keys = select(SecondFactor).where(SecondFactor.totp_key_sealed.is_not(None))
        for factor in self.session.scalars(keys):
            assert factor.totp_key_sealed is not None
            resealed = reseal(factor.totp_key_sealed)
            changed += resealed != factor.totp_key_sealed
            factor.totp_key_sealed = resealed
        for challenge in self.session.scalars(select(FactorChallenge)):
            resealed = reseal(challenge.sealed)
            changed += resealed != challenge.sealed
            challenge.sealed = resealed
        self.session.flush()
        return changed

    def put_challenge(self, challenge: FactorChallenge) -> None:
        """The account's challenge for this purpose, replacing any before it."""
        self.take_challenge(challenge.user_id, challenge.purpose)
        self.session.add(challenge)
        self.session.flush()

    def challenge(self, user_id: int, purpose: str) -> FactorChallenge | None:
        query = select(FactorChallenge).where(
            FactorChallenge.user_id == user_id, FactorChallenge.purpose == purpose
        )
        return self.session.scalar(query)

    def take_challenge(self, user_id: int, purpose: str) -> None:
        """Delete the challenge: it is used once."""
        self.session.execute(
            delete(FactorChallenge)
            .where(FactorChallenge.user_id == user_id, FactorChallenge.purpose == purpose)
            .execution_options(synchronize_session=False)
        )

    def delete_challenges(self, user_id: int) -> None:
        self.session.execute(
            delete(FactorChallenge)
            .where(FactorChallenge.user_id == user_id)
            .execution_options(synchronize_session=False)
        )

"""Key rotation: a new sealing key, then every stored secret re-sealed under it.

Re-sealing goes in batches, each its own transaction. Old keys stay in the keyring
file, so a rotation that stops half-way (a crash, Ctrl-C) leaves every value readable;
``rotate_keys(..., resume=True)`` (or simply another rotation) finishes the job.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from codeservice.crypto.keyring import KEY_ID_PREFIX_BYTES, Keyring, SealError, key_id_of
from codeservice.domain.audit import AuditTag
from codeservice.services.operations import audit
from codeservice.storage.uow import UnitOfWork

DEFAULT_BATCH = 200


class Progress(Protocol):
    def start(self, label: str, total: int) -> None: ...

    def advance(self, count: int) -> None: ...


class _Silent:
    def start(self, label: str, total: int) -> None:
        pass

    def advance(self, count: int) -> None:
        pass


@dataclass(frozen=True)
class RotationReport:
    key_id: str
    previous_key_id: str
    access_codes: int
    messages: int


@dataclass(frozen=True)
class KeyStatus:
    current_key_id: str
    key_ids: list[str]
    access_codes_by_key: dict[str, int]  # rows; each holds a sealed code and unlock code
    messages_by_key: dict[str, int]

    @property
    def missing_key_ids(self) -> list[str]:
        """Key ids the database needs but the keyring file lacks: those values are lost."""
        used = set(self.access_codes_by_key) | set(self.messages_by_key)
        return sorted(used - set(self.key_ids))

    @property
    def under_older_keys(self) -> int:
        """Values sealed under a key other than the current one. A rotation re-seals them
        all, and new values are sealed under the current key: any left mean a rotation
        that did not finish (killed, or stopped by an error)."""
        counts = [*self.access_codes_by_key.items(), *self.messages_by_key.items()]
        return sum(count for key_id, count in counts if key_id != self.current_key_id)


def reseal_access_codes(
    new_uow: Callable[[], UnitOfWork],
    keyring: Keyring,
    *,
    batch_size: int = DEFAULT_BATCH,
    max_batches: int | None = None,
    progress: Progress | None = None,
) -> int:
    """Re-seal every access code not under the current key; return how many were."""
    progress = progress or _Silent()
    current = keyring.current_key_id
    with new_uow() as uow:
        total = uow.codes.count_not_under(current)
    progress.start("access codes", total)
    done = batches = 0
    while max_batches is None or batches < max_batches:
        with new_uow() as uow:
            rows = uow.codes.sealed_not_under(current, limit=batch_size)
            if not rows:
                break
            for row in rows:
                try:
                    row.sealed_code = keyring.reseal(row.sealed_code)
                    row.sealed_unlock = keyring.reseal(row.sealed_unlock)
                except SealError as exc:
                    raise SealError(f"access code {row.document_ref}: {exc}") from None
                row.key_id = current
            uow.commit()
        done += len(rows)
        batches += 1
        progress.advance(len(rows))
    return done


def reseal_messages(
    new_uow: Callable[[], UnitOfWork], keyring: Keyring, *, progress: Progress | None = None
) -> int:
    """Re-seal the mail outbox's message bodies (the outbox walks its own rows)."""

    progress = progress or _Silent()
    progress.start("mail messages", sum(_message_key_counts(new_uow).values()))

    def reseal(sealed: bytes, context: bytes) -> bytes:
        resealed = keyring.reseal(sealed, context)
        progress.advance(1)
        return resealed

    with new_uow() as uow:
        count = uow.outbox.reseal_all(reseal)
        uow.commit()
    return count


def reseal_second_factors(new_uow: Callable[[], UnitOfWork], keyring: Keyring) -> int:
    """Re-seal staff TOTP keys and waiting challenges (a few per person: one transaction)."""
    with new_uow() as uow:
        count = uow.second_factors.reseal_all(keyring.reseal)
        uow.commit()
    return count


def rotate_keys(
    new_uow: Callable[[], UnitOfWork],
    keyring: Keyring,
    *,
    actor: str,
    source: str,
    now: datetime,
    resume: bool = False,
    batch_size: int = DEFAULT_BATCH,
    progress: Progress | None = None,
) -> RotationReport:
    """Add a new current key (unless ``resume``), re-seal everything, audit it (the
    record stamped ``now``, when the rotation began). It commits batch by batch, so it
    takes the factory of units of work (``container.uow``)."""
    previous = keyring.current_key_id
    key_id = previous if resume else keyring.add_key()
    codes = reseal_access_codes(new_uow, keyring, batch_size=batch_size, progress=progress)
    messages = reseal_messages(new_uow, keyring, progress=progress)
    factors = reseal_second_factors(new_uow, keyring)
    details = {
        "key_id": key_id,
        "resumed": resume,
        "access_codes_resealed": codes,
        "messages_resealed": messages,
        "second_factor_secrets_resealed": factors,
    }
    if not resume:
        details["previous_key_id"] = previous
    with new_uow() as uow:
        audit.event(
            uow,
            keyring,
            AuditTag.SYSTEM_KEYS_ROTATE,
            actor=actor,
            source=source,
            now=now,
            **details,
        )
        uow.commit()
    return RotationReport(key_id, previous, codes, messages)


def key_status(reading: Callable[[], UnitOfWork], keyring: Keyring) -> KeyStatus:
    """Which key seals how many values (reads only: ``container.read_uow``)."""
    with reading() as uow:
        codes = uow.codes.count_by_key_id()
    return KeyStatus(
        current_key_id=keyring.current_key_id,
        key_ids=keyring.key_ids,
        access_codes_by_key=codes,
        messages_by_key=dict(_message_key_counts(reading)),
    )


def _message_key_counts(new_uow: Callable[[], UnitOfWork]) -> Counter[str]:
    """Sealed message bodies per key id, reading only each envelope's first bytes."""

    counts: Counter[str] = Counter()
    with new_uow() as uow:
        for prefix in uow.outbox.sealed_prefixes(KEY_ID_PREFIX_BYTES):
            try:
                counts[key_id_of(prefix)] += 1
            except SealError:
                counts["(damaged)"] += 1
    return counts

from __future__ import annotations

from datetime import date, datetime
from typing import cast

from sqlalchemy import (
    Table,
    bindparam,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from codeservice.domain.challenges import ChallengeAnswered
from codeservice.storage.models import AccessCode, Challenge, Provider, VerificationLock
from codeservice.storage.repositories import helpline_state
from codeservice.storage.repositories.audit import AuditRepository
from codeservice.storage.repositories.helpline_locks import (
    ASKED_AND_LOCKED,
    LOCK_PRIME,
    LOCK_PRIME_OF,
)
from codeservice.storage.repositories.helpline_rows import (
    AskedRow,
    ChallengeRow,
    LockState,
    PrimeState,
)
from codeservice.storage.repositories.helpline_state import in_force

# The statements a helpline request runs, built once (with parameters) rather than on
# every request: building one costs about as much CPU as running it on SQLite.
_NOW = bindparam("now", type_=AccessCode.active_from.type)
_CODE_IN_FORCE = (
    select(AccessCode)
    .where(AccessCode.provider_id == bindparam("provider_id"), in_force(_NOW))
    .order_by(AccessCode.active_from.desc(), AccessCode.id.desc())
    .limit(1)
)
_SINCE = bindparam("since", type_=Challenge.answered_at.type)

_CHALLENGES = cast(Table, Challenge.__table__)  # the table's: plain Core, no ORM work
_LOCKED_PRIME = "codeservice.helpline_locked_prime"  # (transaction, prime id) in session.info
_FAILED_SINCE = (  # every answer asks it (``ensure_lock``)
    select(Challenge)
    .where(
        Challenge.provider_id == bindparam("provider_id"),
        Challenge.result == "fail",
        Challenge.answered_at >= _SINCE,
    )
    .order_by(Challenge.answered_at)
)

# The writes of every check: on the table, not through the ORM (its unit of work and
# bulk-update machinery cost more than the statements).
_INSERT_CHALLENGE = insert(_CHALLENGES)
_CHALLENGE_FIELDS = tuple(column.key for column in _CHALLENGES.columns)
# PostgreSQL: the same, sent with the challenge's audit record (``AuditRepository.with_next``).
_INSERT_CHALLENGE_RETURNING = (
    insert(_CHALLENGES)
    .values({name: bindparam(f"c_{name}") for name in _CHALLENGE_FIELDS})
    .returning(_CHALLENGES.c.id)
)
_RECORD_ANSWER = (
    update(_CHALLENGES)
    .where(
        _CHALLENGES.c.id == bindparam("b_id"),
        _CHALLENGES.c.answered_at.is_(None),
        _CHALLENGES.c.expires_at > bindparam("b_now"),
    )
    .values(
        answered_at=bindparam("b_now"),
        result=bindparam("b_result"),
        answered_code_id=bindparam("b_code"),
    )
)
_RECORD_ANSWER_RETURNING = _RECORD_ANSWER.returning(_CHALLENGES.c.id)
_ANSWERED = "this challenge has already been answered; start a new one"


class HelplineRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- one request's reads, each in one statement --------------------------------

    def asked_by_ref(self, ref: str) -> AskedRow | None:
        """The provider with this ref, its prime and the plan covering it, in one
        statement, as a plain row (the ORM's loading cost more than the query)."""
        return helpline_state.asked_by_ref(self.session, ref)

    def asked_and_locked(self, ref: str) -> AskedRow | None:
        """``asked_by_ref``, and on PostgreSQL ``lock_prime`` for the organisation's
        prime provider in the same statement (its own, for a prime provider). For a
        transaction that goes on to check the caller: it holds both locks to its end,
        whatever the organisation's eligibility."""
        if not self._postgresql():
            return self.asked_by_ref(ref)
        row = self.session.execute(ASKED_AND_LOCKED, {"ref": ref}).one_or_none()
        if row is not None:  # the trail's lock taken, and the prime's if there is one
            AuditRepository(self.session).took_append_lock()
            if row.locked_prime_id is not None:
                self._note_locked(row.locked_prime_id)
        return helpline_state.asked_row(row)

    def lock_prime(self, provider_id: int) -> None:
        """``RegisterRepository.lock_provider`` where a row lock exists (PostgreSQL), and
        then the audit trail's append lock, in one statement: on SQLite the unit of
        work's BEGIN IMMEDIATE already serialises every writer, so there is nothing to
        send. Nothing is sent either if this transaction holds them already
        (``asked_and_locked``)."""
        if not self._postgresql():
            return
        held = self.session.info.get(_LOCKED_PRIME)
        if held == (self.session.get_transaction(), provider_id):
            return
        if self.session.execute(LOCK_PRIME, {"provider_id": provider_id}).first() is not None:
            AuditRepository(self.session).took_append_lock()
            self._note_locked(provider_id)

    def _note_locked(self, prime_id: int) -> None:
        self.session.info[_LOCKED_PRIME] = (self.session.get_transaction(), prime_id)

    def _postgresql(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"

    def lock_prime_of(self, challenge_id: str) -> None:
        """``lock_prime`` for the prime provider a challenge was put for."""
        if not self._postgresql():
            return
        found = self.session.execute(LOCK_PRIME_OF, {"challenge_id": challenge_id}).first()
        if found is not None:  # no prime row, no lock taken (the trail's neither)
            AuditRepository(self.session).took_append_lock()

    def prime_state(
        self, prime_id: int, *, day: date, day_start: datetime, now: datetime
    ) -> PrimeState:
        """The prime provider's lock state on ``day``, its code in force at ``now`` and
        its latest challenge, in one statement: read once its lock is held."""
        state, head = helpline_state.prime_state(
            self.session, prime_id, day=day, day_start=day_start, now=now
        )
        AuditRepository(self.session).note_head(head)
        return state

    def challenge_to_answer(
        self, challenge_id: str, *, day: date, day_start: datetime, now: datetime
    ) -> ChallengeRow | None:
        """A challenge as it is now, its providers and its prime's ``prime_state``
        (without the latest challenge), in one statement."""
        found = helpline_state.challenge_to_answer(
            self.session, challenge_id, day=day, day_start=day_start, now=now
        )
        if found is None:
            return None
        challenge, head = found
        AuditRepository(self.session).note_head(head)
        return challenge

    def lock_state(self, prime_id: int, *, day: date, day_start: datetime) -> LockState:
        """``prime_state``'s locks and fails alone."""
        return helpline_state.lock_state(self.session, prime_id, day=day, day_start=day_start)

    # --- codes --------------------------------------------------------------------

    def code_in_force(self, provider_id: int, now: datetime) -> AccessCode | None:
        """A replacement issued mid-cycle starts later than the code it replaced, so
        the latest start wins should the old one not be marked revoked yet."""
        return self.session.scalar(_CODE_IN_FORCE, {"provider_id": provider_id, "now": now})

    def codes_in_force(self, now: datetime) -> list[AccessCode]:
        """One code per provider: the one ``code_in_force`` would give."""
        rows = self.session.scalars(
            select(AccessCode)
            .where(in_force(now))
            .order_by(AccessCode.provider_id, AccessCode.active_from.desc(), AccessCode.id.desc())
        )
        chosen: dict[int, AccessCode] = {}
        for row in rows:
            chosen.setdefault(row.provider_id, row)
        return list(chosen.values())

    # --- challenges ---------------------------------------------------------------

    def add_challenge(self, challenge: Challenge, *, with_audit: bool = False) -> None:
        """Insert it as given, as a plain INSERT (cheaper than the ORM's unit of work on
        every challenge); ``challenge`` stays detached, its relationships not loaded.

        ``with_audit``: the caller appends the challenge's audit record next, and on
        PostgreSQL the INSERT goes in that append's statement (a round trip fewer)."""
        if with_audit and self._postgresql():
            values = {f"c_{name}": getattr(challenge, name) for name in _CHALLENGE_FIELDS}
            AuditRepository(self.session).with_next(_INSERT_CHALLENGE_RETURNING, values)
            return
        self.session.execute(
            _INSERT_CHALLENGE, {name: getattr(challenge, name) for name in _CHALLENGE_FIELDS}
        )

    def get_challenge(self, challenge_id: str) -> Challenge | None:
        return self.session.get(Challenge, challenge_id)

    def challenge_before(self, challenge: Challenge) -> Challenge | None:
        """The same provider's challenge created just before this one, if any."""
        query = (
            select(Challenge)
            .where(
                Challenge.provider_id == challenge.provider_id,
                Challenge.created_at < challenge.created_at,
            )
            .order_by(Challenge.created_at.desc())
            .limit(1)
        )
        return self.session.scalar(query)

    def record_answer(
        self, challenge: Challenge | str, *, result: str, code_id: int, now: datetime
    ) -> bool:
        """Take the challenge's one answer; False if it was answered or expired first.
        A ``Challenge`` given (rather than its id) shows the answer once taken."""
        challenge_id = challenge if isinstance(challenge, str) else challenge.id
        values = {"b_id": challenge_id, "b_now": now, "b_result": result, "b_code": code_id}
        outcome = self.session.execute(_RECORD_ANSWER, values)
        changed = int(outcome.rowcount)  # type: ignore[attr-defined]
        if changed == 1 and not isinstance(challenge, str):
            for name, value in (
                ("answered_at", now),
                ("result", result),
                ("answered_code_id", code_id),
            ):
                set_committed_value(challenge, name, value)
        return changed == 1

    def take_answer(self, challenge_id: str, *, result: str, code_id: int, now: datetime) -> None:
        """``record_answer``, for a caller that appends the answer's audit record next.
        On PostgreSQL the UPDATE goes in that append's statement (a round trip fewer),
        and the append raises ``ChallengeAnswered`` (appending nothing) if the challenge
        was answered or expired first; elsewhere this raises it at once."""
        values = {"b_id": challenge_id, "b_now": now, "b_result": result, "b_code": code_id}
        if self._postgresql():
            audit = AuditRepository(self.session)
            audit.with_next(_RECORD_ANSWER_RETURNING, values, ChallengeAnswered(_ANSWERED))
        elif not self.record_answer(challenge_id, result=result, code_id=code_id, now=now):
            raise ChallengeAnswered(_ANSWERED)

    def failed_since(self, provider_id: int, since: datetime) -> list[Challenge]:
        values = {"provider_id": provider_id, "since": since}
        return list(self.session.scalars(_FAILED_SINCE, values))

    def answered_positions(self, code_ids: list[int]) -> dict[int, list[str]]:
        """Positions asked in answered challenges, by the code they were checked against."""
        found: dict[int, list[str]] = {code_id: [] for code_id in code_ids}
        if not code_ids:
            return found
        query = select(Challenge.answered_code_id, Challenge.positions).where(
            Challenge.answered_code_id.in_(code_ids), Challenge.result.is_not(None)
        )
        for code_id, positions in self.session.execute(query):
            if code_id is not None:
                found[code_id].append(positions)
        return found

    # --- locks --------------------------------------------------------------------

    def open_lock(self, provider_id: int, day: date) -> VerificationLock | None:
        query = select(VerificationLock).where(
            VerificationLock.provider_id == provider_id,
            VerificationLock.day == day,
            VerificationLock.unlocked_at.is_(None),
        )
        return self.session.scalar(query)

    def open_locks(self, day: date) -> list[VerificationLock]:
        query = (
            select(VerificationLock)
            .join(Provider, Provider.id == VerificationLock.provider_id)
            .where(VerificationLock.day == day, VerificationLock.unlocked_at.is_(None))
            .order_by(Provider.ref)
        )
        return list(self.session.scalars(query))

    def add_lock(self, lock: VerificationLock) -> None:
        self.session.add(lock)
        self.session.flush()

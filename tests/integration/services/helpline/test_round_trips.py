"""A challenge and its answer are one transaction each, counted on the real engine.

Counted with SQLAlchemy's own ``begin`` and ``before_cursor_execute`` events: the
challenge (provider, locks, code, challenge and audit record) and the answer (the same
checks, the answer taken, the audit record) each begin exactly one transaction, the
unlock after the fails included, and neither reads the same thing twice.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from codeservice.services.operations.audit import verify_chain
from tests.integration.services.helpline.support import (
    DURING_APRIL,
    World,
    audit_details,
    chars,
    wrong,
)

# Who calls, and whose code answers (PRV003 is no longer active in this world).
CALLERS = {"PRV001": "PRV001", "PRV002": "PRV002", "SUB101": "PRV001"}


class Counted:
    def __init__(self) -> None:
        self.transactions = 0
        self.statements: list[str] = []


@contextmanager
def counted(world: World) -> Iterator[Counted]:
    engine = world.container.engine
    seen = Counted()

    def begin(_connection: Any) -> None:
        seen.transactions += 1

    def statement(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        seen.statements.append(sql)

    event.listen(engine, "begin", begin)
    event.listen(engine, "before_cursor_execute", statement)
    try:
        yield seen
    finally:
        event.remove(engine, "begin", begin)
        event.remove(engine, "before_cursor_execute", statement)


def repeated_reads(statements: list[str]) -> list[str]:
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    return sorted({s for s in reads if reads.count(s) > 1})


def test_a_challenge_and_its_answer_are_one_transaction_each(world: World) -> None:
    with counted(world) as challenge:
        view = world.start("PRV001", now=DURING_APRIL)
    with counted(world) as answer:
        result = world.answer(view, chars(world.code(), view.positions), DURING_APRIL)

    assert result == "pass"
    assert (challenge.transactions, answer.transactions) == (1, 1)
    assert repeated_reads(challenge.statements) == []
    assert repeated_reads(answer.statements) == []


def test_a_failed_answer_and_a_subcontractor_challenge_are_one_transaction_each(
    world: World,
) -> None:
    with counted(world) as challenge:
        view = world.start("SUB101", now=DURING_APRIL)  # its prime is PRV001
    with counted(world) as answer:
        result = world.answer(view, wrong(world.code(), view.positions), DURING_APRIL)

    assert result == "fail"
    assert (challenge.transactions, answer.transactions) == (1, 1)


def reads_of(statements: list[str], table: str) -> list[str]:
    return [s for s in statements if s.lstrip().upper().startswith("SELECT") and table in s]


def test_once_the_lock_is_held_one_statement_reads_the_prime_s_state(world: World) -> None:
    """Its locks today, its fails, its code in force (and, for an answer, the challenge
    with both providers): one statement each time, not one per question."""
    with counted(world) as challenge:
        view = world.start("SUB101", now=DURING_APRIL)
    with counted(world) as answer:
        world.answer(view, chars(world.code(), view.positions), DURING_APRIL)

    for seen in (challenge, answer):
        [state] = reads_of(seen.statements, "verification_locks")
        assert reads_of(seen.statements, "access_codes") == [state]
    [state] = reads_of(answer.statements, "verification_locks")
    assert "asked" in state and "prime" in state  # the challenge's providers, too


def test_the_audit_trail_s_head_is_read_with_the_state_not_again(world: World) -> None:
    """Once the prime's lock is held (and with it the trail's), the statement that reads
    the prime's state reads the trail's head too: appending the record asks nothing."""
    with counted(world) as challenge:
        view = world.start("PRV001", now=DURING_APRIL)
    with counted(world) as answer:
        world.answer(view, chars(world.code(), view.positions), DURING_APRIL)

    for seen in (challenge, answer):
        [state] = reads_of(seen.statements, "verification_locks")
        assert "audit_records" in state
        assert [s for s in reads_of(seen.statements, "audit_records") if s != state] == []
    with world.container.read_uow() as uow:
        records, problem = verify_chain(uow, world.container.keyring.audit_key)
    assert problem is None and records > 2


def test_concurrent_checks_of_several_primes_keep_one_chain(world: World) -> None:
    """Checks run at once, of two primes (on PostgreSQL their row locks differ) and of
    a subcontractor beside its prime: each appends after the head it read under the
    trail's lock, so none forks the chain."""
    errors: list[BaseException] = []

    def checks(ref: str) -> None:
        try:
            for _ in range(6):
                view = world.start(ref, now=DURING_APRIL)
                code = world.code(CALLERS[ref])
                world.answer(view, chars(code, view.positions), DURING_APRIL)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=checks, args=(ref,)) for ref in CALLERS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert errors == []
    with world.container.read_uow() as uow:
        records, problem = verify_chain(uow, world.container.keyring.audit_key)
    assert problem is None
    assert len(audit_details(world.container, "helpline:challenge:answer")) == 6 * len(CALLERS)


def test_the_organisation_is_read_with_its_prime_s_lock(world: World) -> None:
    """PostgreSQL: the statement that finds the caller's organisation takes its prime's
    lock and the trail's too, so no statement of a challenge is only a lock; SQLite's
    BEGIN IMMEDIATE is its lock, and it sends none."""
    for caller in ("PRV001", "SUB101"):
        with counted(world) as challenge:
            world.start(caller, now=DURING_APRIL)
        locking = [s for s in challenge.statements if "pg_advisory_xact_lock" in s]
        if world.container.engine.dialect.name == "postgresql":
            [first] = locking
            assert "FOR NO KEY UPDATE" in first and "asked" in first
            assert challenge.statements.index(first) == 0
        else:
            assert locking == []
        sent = [s for s in challenge.statements if not s.startswith("BEGIN")]
        # The organisation, the state, the challenge and the record (PostgreSQL: those
        # two in one statement).
        postgresql = world.container.engine.dialect.name == "postgresql"
        assert len(sent) == (3 if postgresql else 4)


def test_postgresql_writes_the_challenge_and_the_answer_with_their_records(
    world: World,
) -> None:
    """PostgreSQL: the challenge's INSERT and the answer's UPDATE each go in the
    statement that appends their audit record (SQLite cannot: no writes in WITH)."""
    with counted(world) as challenge:
        view = world.start("PRV001", now=DURING_APRIL)
    with counted(world) as answer:
        world.answer(view, chars(world.code(), view.positions), DURING_APRIL)

    def written(statements: list[str]) -> list[str]:
        return [s for s in statements if s.lstrip().startswith(("INSERT", "UPDATE", "WITH"))]

    writes = {"challenge": written(challenge.statements), "answer": written(answer.statements)}
    if world.container.engine.dialect.name == "postgresql":
        [created] = writes["challenge"]
        assert "INSERT INTO challenges" in created and "INSERT INTO audit_records" in created
        [answered] = writes["answer"]
        assert "UPDATE challenges" in answered and "INSERT INTO audit_records" in answered
    else:
        assert [len(w) for w in writes.values()] == [2, 2]
    with world.container.read_uow() as uow:
        _, problem = verify_chain(uow, world.container.keyring.audit_key)
    assert problem is None

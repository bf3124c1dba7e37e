"""The helpline's statements find what they count by index, whatever each prime's history.

Every challenge and answer counts the prime provider's fails today and its locks of the
day, and finds its code in force. Searched by ``provider_id`` alone, they read every
challenge, lock and code the provider ever had, so each request would cost more as the
months go by. Here the
statements a real challenge and answer send to SQLite are explained (``EXPLAIN QUERY
PLAN``, with their own parameters) and each search must narrow to the day.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from tests.integration.services.helpline.support import DURING_APRIL, World, chars


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> str:
    """SQLite only: its planner's answers do not depend on table statistics."""
    path = tmp_path / "codeservice.db"
    shutil.copyfile(sqlite_template, path)
    path.chmod(0o600)
    return f"sqlite:///{path}"


@contextmanager
def sent(world: World) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def statement(_conn: Any, _cursor: Any, sql: str, parameters: Any, *_args: Any) -> None:
        if sql.lstrip().upper().startswith("SELECT"):
            seen.append((sql, parameters))

    engine = world.container.engine
    event.listen(engine, "before_cursor_execute", statement)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", statement)


def plans(world: World, statements: list[tuple[str, Any]]) -> list[str]:
    with world.container.engine.connect() as connection:
        cursor = connection.connection.driver_connection.cursor()
        return [
            row[3]
            for sql, parameters in statements
            for row in cursor.execute("EXPLAIN QUERY PLAN " + sql, parameters).fetchall()
        ]


def test_a_challenge_and_its_answer_read_one_day_of_the_primes_history(world: World) -> None:
    with sent(world) as statements:
        view = world.start(now=DURING_APRIL)
        world.answer(view, chars(world.code(), view.positions), now=DURING_APRIL)
    steps = plans(world, statements)

    assert steps, "nothing was explained"
    whole_tables = [
        step
        for step in steps
        if step.startswith("SCAN")
        and any(f" {table}" in step for table in ("challenges", "verification_locks"))
    ]
    assert whole_tables == []
    fails = [step for step in steps if "challenges" in step and "result=?" in step]
    assert fails, f"the fails today are not counted by index: {steps}"
    assert all("answered_at>?" in step for step in fails), steps
    assert not [step for step in steps if "TEMP B-TREE" in step], steps  # nothing sorted
    locks = [step for step in steps if "verification_locks" in step]
    assert locks, steps
    assert all("day=?" in step for step in locks), f"the day's locks not by index: {steps}"

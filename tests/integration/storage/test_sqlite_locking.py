"""SQLite's writers queue on a lock of this process; readers do not queue at all."""

from __future__ import annotations

import gc
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from codeservice.storage import db


def _engine(tmp_path: Path) -> Engine:
    engine = db.make_engine(f"sqlite:///{tmp_path}/locking.db")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)")
    return engine


def _insert(session: Session, value: str) -> None:
    session.execute(text("INSERT INTO t (v) VALUES (:v)"), {"v": value})


def test_every_connection_commits_to_disk_before_returning(tmp_path: Path) -> None:
    """synchronous=FULL with the write-ahead log: a commit survives a power loss, so
    nothing that follows it (an email sent, the audit anchor synced) can outlive it."""
    engine = _engine(tmp_path)
    for reader_or_writer in (engine, db.reading(engine)):
        with reader_or_writer.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


def test_a_reader_does_not_wait_for_a_writer(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    writers, readers = sessionmaker(engine), sessionmaker(db.reading(engine))

    with writers() as writer:
        _insert(writer, "a")  # holds the write lock until it commits
        started = time.perf_counter()
        with readers() as reader:
            seen = reader.execute(text("SELECT count(*) FROM t")).scalar()
        waited = time.perf_counter() - started
        writer.commit()

    assert seen == 0  # the snapshot before the writer's commit
    assert waited < 5  # it did not queue behind the writer (30 s would be the limit)


def test_writers_take_turns_and_all_commit(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    writers = sessionmaker(engine)
    failures: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(20):
                with writers() as session:
                    _insert(session, f"{n}-{i}")
                    session.commit()
        except BaseException as exc:  # reported below, not lost in the thread
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert failures == []
    with writers() as session:
        assert session.execute(text("SELECT count(*) FROM t")).scalar() == 160


def test_the_lock_is_let_go_however_a_transaction_ends(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    writers = sessionmaker(engine)
    lock = db._write_lock(str(tmp_path / "locking.db"))

    with writers() as session:  # committed
        _insert(session, "a")
        session.commit()
    assert not lock.locked()

    session = writers()  # closed without committing
    _insert(session, "b")
    assert lock.locked()
    session.close()
    assert not lock.locked()

    with writers() as session:  # a failed statement, then a rollback
        try:
            _insert(session, "a")
        except Exception:  # the duplicate
            session.rollback()
    assert not lock.locked()

    def forgotten() -> None:  # never closed: collected as garbage
        _insert(writers(), "c")

    forgotten()
    gc.collect()
    assert not lock.locked()


def test_the_lock_is_let_go_only_once_sqlite_has_ended_the_transaction(tmp_path: Path) -> None:
    """Else the next writer's BEGIN IMMEDIATE meets SQLite's lock still held and sleeps in
    its busy handler, holding ours."""
    engine = _engine(tmp_path)
    writers = sessionmaker(engine)
    lock = db._write_lock(str(tmp_path / "locking.db"))
    seen: list[tuple[bool, bool]] = []

    def when_free(connection: Any) -> None:  # after ours, before SQLAlchemy's own COMMIT
        seen.append((lock.locked(), connection.connection.dbapi_connection.in_transaction))

    for name in ("commit", "rollback"):
        event.listen(engine, name, when_free)
    with writers() as session:
        _insert(session, "a")
        session.commit()
    with writers() as session:
        _insert(session, "b")
        session.rollback()

    # Each time: by the time the lock was free again, SQLite held no transaction.
    assert seen == [(False, False), (False, False)]
    with writers() as session:
        assert session.execute(text("SELECT v FROM t")).scalars().all() == ["a"]


def _busy_timeout(session: Session) -> int:
    return int(session.execute(text("PRAGMA busy_timeout")).scalar_one())


def test_without_waiting_begins_at_once_when_the_lock_is_free(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    writers = sessionmaker(engine)

    with db.without_waiting(), writers() as session:
        _insert(session, "a")
        assert _busy_timeout(session) == db.BUSY_SECONDS * 1000  # restored once begun
        session.commit()
        _insert(session, "b")  # a second transaction in the block waits as usual
        session.commit()

    with writers() as session:
        assert session.execute(text("SELECT v FROM t ORDER BY v")).scalars().all() == ["a", "b"]


def test_without_waiting_gives_way_to_a_writer_of_this_process(tmp_path: Path) -> None:
    """Raised at the first statement, before it ran: nothing written, nothing held."""
    engine = _engine(tmp_path)
    writers = sessionmaker(engine)

    with writers() as holder:
        _insert(holder, "held")  # this thread's writer holds the lock
        with db.without_waiting(), writers() as session, pytest.raises(db.WouldWait):
            _insert(session, "a")  # neither waits for the other writer nor runs beside it
        holder.commit()

    with writers() as session:  # the lock was let go: a writer goes straight on
        _insert(session, "after")
        session.commit()
        assert session.execute(text("SELECT v FROM t ORDER BY v")).scalars().all() == [
            "after",
            "held",
        ]


def test_without_waiting_gives_way_to_a_writer_of_another_process(tmp_path: Path) -> None:
    """Another process's writer is known only by SQLite's own lock: its busy handler is
    off for that one BEGIN, and back on for the connection's next transaction."""
    engine = _engine(tmp_path)
    writers = sessionmaker(engine)
    other = sqlite3.connect(tmp_path / "locking.db", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        with db.without_waiting(), writers() as session, pytest.raises(db.WouldWait):
            _insert(session, "a")
        other.execute("ROLLBACK")
    finally:
        other.close()

    with writers() as session:  # the same pooled connection, waiting as usual again
        _insert(session, "after")
        assert _busy_timeout(session) == db.BUSY_SECONDS * 1000
        session.commit()
        assert session.execute(text("SELECT v FROM t")).scalars().all() == ["after"]

"""Engines: SQLite in WAL mode by default, PostgreSQL through psycopg 3; and the check
that a database is there with this version's schema. The modes of a SQLite database's
folder and files are ``storage.private_files``."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.pool import NullPool, QueuePool

from codeservice.errors import ConfigurationError
from codeservice.storage.private_files import private_sqlite_file

BUSY_SECONDS = 30
_HOLDS_WRITE_LOCK = "codeservice_holds_write_lock"
_QUERY_ONLY = "codeservice_query_only"
POOL_SIZE = 5
POSTGRESQL_OVERFLOW = 10
# A pooled PostgreSQL connection idle this long is pinged before it is handed out.
IDLE_PING_SECONDS = 5.0
_IDLE_SINCE = "codeservice_idle_since"
# One lock per SQLite file for this process's writers (see ``_tune_sqlite``).
_write_locks: dict[str, threading.Lock] = {}
_write_locks_guard = threading.Lock()
# Set by ``without_waiting``: the next writer to begin takes the lock only if it is free.
_NO_WAIT: ContextVar[bool] = ContextVar("codeservice_no_wait", default=False)
# The newest migration in codeservice/storage/migrations/versions. Every command checks
# the database against it before it works, so it is written here rather than read
# through Alembic, whose import costs a command ~0.15 s of CPU (a test keeps the two equal).
SCHEMA_REVISION = "0011_helpline_history_indexes"


def make_engine(url: str, *, pool_size: int = POOL_SIZE, **kwargs: Any) -> Engine:
    """Build an engine; nothing connects until it is first used.

    ``pool_size`` connections stay open for reuse (size it to the threads that work on
    the database at once: the web's ``web_max_in_flight`` and a few more). On SQLite
    more are opened when needed and closed after use, as before pooling, so a thread
    never waits for a connection while another waits for the write lock; PostgreSQL
    allows ten more than the pool, then makes a thread wait for one.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        pooled = database not in ("", ":memory:")
        if pooled and not database.startswith("file:"):
            private_sqlite_file(Path(database))
        pool: dict[str, Any] = (
            {"poolclass": QueuePool, "pool_size": pool_size, "max_overflow": -1}
            if pooled
            else {"poolclass": NullPool}
        )
        engine = create_engine(
            url,
            connect_args={"timeout": BUSY_SECONDS, "check_same_thread": False},
            **pool,
            **kwargs,
        )
        _tune_sqlite(engine, _write_lock(database or ":memory:"))
        return engine
    engine = create_engine(url, pool_size=pool_size, max_overflow=POSTGRESQL_OVERFLOW, **kwargs)
    _read_only_postgresql(engine)
    _ping_after_idle(engine)
    return engine


def _ping_after_idle(engine: Engine) -> None:
    """Ping a pooled connection before handing it out only if it sat idle for
    ``IDLE_PING_SECONDS``: one back from a request a moment ago is not (SQLAlchemy's
    ``pool_pre_ping`` pinged on every checkout, a round trip per request). A dead one is
    dropped and another taken; one that died while in use fails its statement, and
    SQLAlchemy then replaces every connection of the pool opened before."""

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop(_IDLE_SINCE, None)
        if since is None or time.monotonic() - since < IDLE_PING_SECONDS:
            return  # just opened, or just used
        dialect = engine.dialect
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                raise DisconnectionError(str(error)) from error
            raise


def _read_only_postgresql(engine: Engine) -> None:
    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A reader's transaction cannot write: PostgreSQL refuses any change in it.
        if connection.get_execution_options().get(READ_ONLY, False):
            connection.exec_driver_sql("SET TRANSACTION READ ONLY")


class NotInitialised(ConfigurationError):
    """The database has not been set up (or not for this version): ``codeservice init``."""


def sqlite_file(url: str) -> str | None:
    """The file a SQLite URL names; None for PostgreSQL and in-memory databases."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return parsed.database


def require_database(url: str) -> None:
    """Refuse, before anything is created, a SQLite database that is not there yet."""
    path = sqlite_file(url)
    if path is not None and not os.path.exists(path):
        raise NotInitialised(
            f"there is no database at {path}: run `codeservice init` first "
            "(or set CODESERVICE_DATABASE_URL / CODESERVICE_HOME to the service's own)"
        )


def require_schema(engine: Engine) -> None:
    """Refuse a database whose schema is missing (empty, never initialised) or not the
    one this version of codeservice uses."""
    current = stored_revision(engine)
    if current is None:
        where = sqlite_file(str(engine.url)) or engine.url.render_as_string(hide_password=True)
        raise NotInitialised(f"the database {where} is empty: run `codeservice init` first")
    if current != SCHEMA_REVISION:
        raise NotInitialised(
            "the database schema is not the one this version of codeservice uses: "
            "run `codeservice init` to bring it up to date"
        )


def stored_revision(engine: Engine) -> str | None:
    """The schema revision Alembic recorded in the database (None: no schema yet); two
    or more (branches Alembic itself would refuse) come back joined by ``+``."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        found = connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
        versions = sorted(str(version) for version in found)
    return "+".join(versions) or None


class WouldWait(Exception):  # noqa: N818 - what happened, not a failure
    """A writer begun ``without_waiting`` found the write lock taken. It raised at its
    very first statement, having done nothing: run the same work where it may wait."""


@contextmanager
def without_waiting() -> Iterator[None]:
    """In this block the first write transaction to begin on a SQLite database takes
    the write lock only if it is free this instant (this process's writers and every
    other process's), and raises ``WouldWait`` otherwise. Later ones wait as usual: a
    caller that has committed something must never be told to start again. (A
    PostgreSQL transaction takes its locks as it goes: it is not affected.)"""
    token = _NO_WAIT.set(True)
    try:
        yield
    finally:
        _NO_WAIT.reset(token)


def _write_lock(database: str) -> threading.Lock:
    key = database if database == ":memory:" else os.path.realpath(database)
    with _write_locks_guard:
        return _write_locks.setdefault(key, threading.Lock())


def _tune_sqlite(engine: Engine, write_lock: threading.Lock) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling delays BEGIN; we issue BEGIN IMMEDIATE
        # ourselves so that writers queue on the lock instead of failing mid-way.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk before it returns. With NORMAL (WAL mode) a power
        # loss or system crash can take back the last commits, after their effects left
        # the process: an email sent for a code the database then no longer holds (and
        # the rerun issuing a second), or the audit anchor, synced just after each
        # commit, vouching for records the trail lost, so `audit verify` would cry
        # truncation (docs/security.md, "Crash safety").
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_SECONDS * 1000}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A reader (see ``reading``) takes no lock: in WAL mode it reads a snapshot
        # while one writer works, instead of queueing behind every other writer.
        if connection.get_execution_options().get(READ_ONLY, False):
            # ... and cannot write: SQLite refuses any change on this connection until
            # a writer takes it from the pool and turns that off again.
            if not connection.info.get(_QUERY_ONLY):
                connection.exec_driver_sql("PRAGMA query_only = ON")
                connection.info[_QUERY_ONLY] = True
            connection.exec_driver_sql("BEGIN")
            return
        if connection.info.pop(_QUERY_ONLY, False):
            connection.exec_driver_sql("PRAGMA query_only = OFF")
        if _NO_WAIT.get():
            _NO_WAIT.set(False)  # only the first: see ``without_waiting``
            _begin_at_once(connection)
            return
        # This process's writers queue on a lock of ours first: the one released hands
        # over at once, where SQLite's busy handler would have the others sleep and
        # poll (up to 100 ms a time), which made the slowest requests take seconds.
        # Other processes still meet at SQLite's own lock.
        if not write_lock.acquire(timeout=BUSY_SECONDS):
            raise OperationalError("BEGIN IMMEDIATE", None, Exception("database is locked"))
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            write_lock.release()
            raise
        connection.info[_HOLDS_WRITE_LOCK] = True

    def _begin_at_once(connection: Any) -> None:
        """BEGIN IMMEDIATE if no writer of this process or of another holds the lock;
        ``WouldWait`` otherwise (SQLite's busy handler off for this one statement)."""
        if not write_lock.acquire(blocking=False):
            raise WouldWait
        try:
            connection.exec_driver_sql("PRAGMA busy_timeout = 0")
            try:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            except OperationalError as exc:
                # Any kind of busy (another writer, or another connection recovering
                # the log after a crash): the extended code's low byte says it.
                if getattr(exc.orig, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_BUSY:
                    raise WouldWait from None
                raise
            finally:
                connection.exec_driver_sql(f"PRAGMA busy_timeout = {BUSY_SECONDS * 1000}")
        except BaseException:
            write_lock.release()
            raise
        connection.info[_HOLDS_WRITE_LOCK] = True

    # These events come just BEFORE SQLAlchemy sends COMMIT or ROLLBACK. Releasing our
    # lock there let the next writer's BEGIN IMMEDIATE find SQLite's lock still held
    # and sleep in its busy handler, holding our lock the while (measured: 6 of 10
    # BEGINs under 8 helpline clients, 1.4 ms each, up to 340 ms). So the transaction
    # is ended here, first; SQLAlchemy's own COMMIT or ROLLBACK then finds none open
    # and does nothing (or, if ending it here failed, tries again and reports it).
    @event.listens_for(engine, "commit")
    def _on_commit(connection: Any) -> None:
        _end_then_release(connection, "commit")

    @event.listens_for(engine, "rollback")
    def _on_rollback(connection: Any) -> None:
        _end_then_release(connection, "rollback")

    def _end_then_release(connection: Any, end: str) -> None:
        if not connection.info.pop(_HOLDS_WRITE_LOCK, False):
            return
        try:
            getattr(connection.connection.dbapi_connection, end)()
        except sqlite3.Error:
            pass  # SQLAlchemy's own commit or rollback, next, raises it as its error
        finally:
            write_lock.release()

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        # A connection dropped without its transaction ending (a session never
        # closed, collected as garbage) comes back here: its lock must not stay held.
        if record is not None and record.info.pop(_HOLDS_WRITE_LOCK, False):
            write_lock.release()


READ_ONLY = "codeservice_read_only"


def reading(engine: Engine) -> Engine:
    """The same engine for transactions that only read.

    On SQLite they begin with a plain ``BEGIN`` (a snapshot, no write lock). On both
    databases such a transaction cannot write: SQLite runs it ``query_only`` and
    PostgreSQL ``READ ONLY``, so a use case that writes by mistake fails at once.
    """
    return engine.execution_options(**{READ_ONLY: True})

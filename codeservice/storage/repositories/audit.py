from __future__ import annotations

from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Delete,
    Insert,
    Table,
    Update,
    bindparam,
    func,
    insert,
    inspect,
    literal,
    select,
    text,
)
from sqlalchemy.orm import Session

from codeservice.domain.audit_anchor import ChainHead
from codeservice.storage.models.audit import AuditRecord
from codeservice.storage.repositories.audit_reads import AuditReads

_LAST = select(AuditRecord).order_by(AuditRecord.seq.desc()).limit(1)  # built once: often run
_HEAD = select(AuditRecord.seq, AuditRecord.hash).order_by(AuditRecord.seq.desc()).limit(1)
_TABLE = cast(Table, AuditRecord.__table__)
# Run before most commits that append (the anchor's check): built once.
_HASH_AT = (
    select(AuditRecord.hash)
    .where(AuditRecord.seq == bindparam("seq"))
    .order_by(AuditRecord.id)
    .limit(1)
)
_PG_APPEND_LOCK = text("SELECT pg_advisory_xact_lock(:k)")
_INSERT = insert(_TABLE)  # the table's, not the ORM's: see ``append``
_FIELDS = tuple(column.key for column in _TABLE.columns if column.key != "id")
_PG_AUDIT_LOCK = 0x61756474  # "audt": appends are serialised so the chain never forks
_LAST_APPENDED = "codeservice.audit_last_appended"  # (transaction, record) in session.info
_LOCK_HELD = "codeservice.audit_lock_held"  # the transaction holding the append lock (PG)
_NOTED_HEAD = "codeservice.audit_noted_head"  # (transaction, head) read under that lock
_WITH_NEXT = "codeservice.audit_with_next"  # (transaction, write, values, missed) (PG)
# ``with_next``'s combined statements, built once per write (a few, each built once).
_COMBINED: dict[int, tuple[Insert, Insert | Update | Delete]] = {}

# For a statement of another repository that reads the chain's head along with what it
# reads anyway (``note_head``): its number and hash, as scalar subqueries (seq is unique).
# The table's columns, not the model's: a statement without the model is run as plain
# Core, without the ORM's work on each execution.
HEAD_SEQ = select(_TABLE.c.seq).order_by(_TABLE.c.seq.desc()).limit(1).scalar_subquery()
HEAD_HASH = select(_TABLE.c.hash).order_by(_TABLE.c.seq.desc()).limit(1).scalar_subquery()


def head_of(row: Any) -> ChainHead | None:
    """The head a row read with ``HEAD_SEQ.label("audit_seq")`` and
    ``HEAD_HASH.label("audit_hash")`` holds."""
    return None if row.audit_seq is None else ChainHead(row.audit_seq, row.audit_hash)


def append_lock() -> ColumnElement[Any]:
    """PostgreSQL: the append lock (``last_for_append``'s), taken as a column of another
    repository's statement that returns a row once it holds its own lock: then
    ``took_append_lock``. The head is read only by a later statement (READ COMMITTED
    reads as of the start of a statement, so the one that waited sees too little)."""
    return func.pg_advisory_xact_lock(literal(_PG_AUDIT_LOCK, BigInteger)).label("audit_lock")


def _combined(write: Insert | Update | Delete) -> Insert:
    """``WITH w AS (write) INSERT INTO audit_records (...) SELECT :audit_seq, ... FROM
    w``: the record is inserted once for each row ``write`` returns (one, or none)."""
    known = _COMBINED.get(id(write))
    if known is not None and known[1] is write:
        return known[0]
    done = write.cte("audit_with")
    chosen = select(
        *(bindparam(f"audit_{name}", type_=_TABLE.c[name].type) for name in _FIELDS)
    ).select_from(done)
    combined = (
        insert(_TABLE)
        .from_select(list(_FIELDS), chosen)
        .add_cte(done)
        .returning(_TABLE.c.seq)  # a row: appended
    )
    _COMBINED[id(write)] = (combined, write)
    return combined


def holds_unwritten(session: Session) -> bool:
    """A write ``with_next`` held for this transaction's next append, and no append has
    taken it yet: committing now would lose it."""
    held = session.info.get(_WITH_NEXT)
    return held is not None and held[0] is session.get_transaction()


class AuditRepository(AuditReads):
    """The trail: appends that keep the chain whole (here), and the reads that report
    on it or check it (``AuditReads``)."""

    def last(self) -> AuditRecord | None:
        return self.session.scalar(_LAST)

    def last_for_append(self) -> ChainHead | None:
        """The head of the chain (``last``'s number and hash), once this transaction holds
        the append lock (PostgreSQL; SQLite has one writer): the record an append follows
        on from stays the last until commit.

        After an append, the transaction already holds the lock and knows the last
        record (the one it appended), so a run of appends asks the database once."""
        known = self._appended_here()
        if known is not None:
            return known
        noted = self.session.info.get(_NOTED_HEAD)
        if (
            noted is not None
            and noted[0] is not None
            and noted[0] is self.session.get_transaction()
        ):
            head: ChainHead | None = noted[1]
            return head
        if self._postgresql() and not self._holds_lock():
            self.session.execute(_PG_APPEND_LOCK, {"k": _PG_AUDIT_LOCK})
            self.took_append_lock()
        row = self.session.execute(_HEAD).first()
        return None if row is None else ChainHead(row.seq, row.hash)

    def took_append_lock(self) -> None:
        """This transaction holds the append lock: a statement with ``append_lock()``
        returned a row (PostgreSQL; SQLite's writers hold its one write lock anyway)."""
        self.session.info[_LOCK_HELD] = self.session.get_transaction()

    def note_head(self, head: ChainHead | None) -> None:
        """The head (``head_of``; None: an empty trail) as read by a statement of this
        transaction that ran once it held the append lock: the next ``last_for_append``
        takes it instead of asking again, unless this transaction appends first.
        Ignored without the lock (on PostgreSQL, no ``took_append_lock`` before)."""
        if self._postgresql() and not self._holds_lock():
            return
        self.session.info[_NOTED_HEAD] = (self.session.get_transaction(), head)

    def _holds_lock(self) -> bool:
        held = self.session.info.get(_LOCK_HELD)
        return held is not None and held is self.session.get_transaction()

    def _postgresql(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"

    def with_next(
        self,
        write: Insert | Update | Delete,
        values: dict[str, Any],
        missed: Exception | None = None,
    ) -> None:
        """PostgreSQL: hold ``write`` (with ``RETURNING`` a column; parameters named
        ``values``'s keys, none starting ``audit_``) to go in one statement with this
        transaction's next ``append``: ``WITH w AS (write) INSERT INTO audit_records
        SELECT ... FROM w``, a round trip fewer. The caller appends next, with nothing
        between that would read what ``write`` changes. If ``write`` returns no row,
        no record is appended either: ``append`` raises ``missed`` (without one, the
        record is appended regardless, in a statement of its own after the write's)."""
        held = (self.session.get_transaction(), write, values, missed)
        self.session.info[_WITH_NEXT] = held

    def append(self, row: AuditRecord) -> None:
        """Add ``row``. The first append of a transaction is inserted at once, as a plain
        INSERT (the ORM's unit of work cost more than the rest of the append); the ones
        that follow on from it wait for the next flush (the next query's, or the
        commit's), so a run of appends goes in one INSERT. ``row`` stays detached.
        A write held by ``with_next`` goes with it, in one statement."""
        held = self.session.info.pop(_WITH_NEXT, None)
        if held is not None and held[0] is self.session.get_transaction():
            self._append_with(row, *held[1:])
        elif self._appended_here() is None:
            self.session.execute(_INSERT, {name: getattr(row, name) for name in _FIELDS})
        else:
            self.session.add(row)
        self.session.info.pop(_NOTED_HEAD, None)  # no longer the head, once appended to
        self.session.info[_LAST_APPENDED] = (
            self.session.get_transaction(),
            self.session.get_nested_transaction(),
            row,
        )

    def _append_with(
        self,
        row: AuditRecord,
        write: Insert | Update | Delete,
        values: dict[str, Any],
        missed: Exception | None,
    ) -> None:
        """``row`` inserted in the statement of ``with_next``'s write; ``missed`` raised,
        and nothing noted as appended, if the write returned no row."""
        if self.session.new:  # appends still pending go first, in order
            self.session.flush()
        combined = _combined(write)
        fields = {f"audit_{name}": getattr(row, name) for name in _FIELDS}
        if self.session.execute(combined, {**values, **fields}).first() is not None:
            return  # (its rowcount is not told: psycopg gives -1 for this statement)
        if missed is not None:
            raise missed
        self.session.execute(_INSERT, {name: getattr(row, name) for name in _FIELDS})

    def _appended_here(self) -> ChainHead | None:
        """The record this transaction appended last, if it still stands: appended in
        the savepoint open now (one rolled back since takes its records with it)."""
        known = self.session.info.get(_LAST_APPENDED)
        if known is None:
            return None
        transaction, nested, row = known
        assert isinstance(row, AuditRecord)
        if transaction is not self.session.get_transaction():
            return None
        state = inspect(row)
        if state.pending or state.persistent or nested is self.session.get_nested_transaction():
            return ChainHead(row.seq, row.hash)
        return None

    def append_many(self, rows: list[AuditRecord]) -> None:
        """Add ``rows`` (records that follow on from each other) in one INSERT on the
        table, run for all of them (executemany): the ORM's unit of work cost more than
        hashing the records. The rows stay detached, as ``append``'s first."""
        self.session.info.pop(_NOTED_HEAD, None)
        if not rows:
            return
        if self.session.new:  # appends still pending go first, in order
            self.session.flush()
        self.session.execute(
            _INSERT, [{name: getattr(row, name) for name in _FIELDS} for row in rows]
        )
        self.session.info[_LAST_APPENDED] = (
            self.session.get_transaction(),
            self.session.get_nested_transaction(),
            rows[-1],
        )

    def hash_at(self, seq: int) -> str | None:
        """The hash of record number ``seq``, if there is one (the first, if renumbered)."""
        return self.session.scalar(_HASH_AT, {"seq": seq})

"""The declarative base and column types shared by every model module."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import DateTime, Enum, MetaData, String, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase

from codeservice.domain.calendar import Cycle

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC instant on both SQLite and PostgreSQL.

    SQLite has no time zones; storing naive UTC and re-attaching UTC on load keeps
    comparisons right on both backends. Naive datetimes are refused on the way in.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        stored: datetime = value
        if stored.tzinfo is None:
            return stored.replace(tzinfo=UTC)
        return stored.astimezone(UTC)


class CycleText(TypeDecorator[Cycle]):
    """A ``Cycle`` kept as its text, ``YYYY-MM``, in a VARCHAR(7): the column is what it
    was (no migration), and the text sorts as the cycles do."""

    impl = String(7)
    cache_ok = True

    def process_bind_param(self, value: Cycle | str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        # The code passes a Cycle (mypy holds it to that); a cycle's text, from a test
        # or a script, is checked the same way as on the command line.
        return str(value if isinstance(value, Cycle) else Cycle.parse(value))

    def process_result_value(self, value: Any, dialect: Dialect) -> Cycle | None:
        if value is None:
            return None
        text: str = value
        return Cycle(int(text[:4]), int(text[5:7]))


def state_column(kind: type[StrEnum], length: int) -> Enum:
    """A StrEnum kept as its value in a VARCHAR, as before: no database enum type to
    migrate, and a value the enum does not know is refused on the way in."""
    return Enum(
        kind,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    metadata = metadata

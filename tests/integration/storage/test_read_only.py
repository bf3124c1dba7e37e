"""A unit of work that only reads cannot write, on either database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import DBAPIError

from codeservice.bootstrap import Container
from codeservice.storage.models import Provider
from codeservice.storage.uow import ReadOnlyWork


def _provider() -> Provider:
    now = datetime(2027, 4, 1, tzinfo=UTC)
    return Provider(ref="PRV900", name="Read Only Ltd", active=True, created_at=now, updated_at=now)


def test_a_read_unit_of_work_refuses_any_write(container: Container) -> None:
    with container.read_uow() as uow, pytest.raises(ReadOnlyWork, match="only reads"):
        uow.register.add_provider(_provider())
        uow.register.flush()
    with container.read_uow() as uow, pytest.raises(ReadOnlyWork, match="cannot flush"):
        uow.flush()
    with container.read_uow() as uow, pytest.raises(ReadOnlyWork, match="cannot commit"):
        uow.commit()
    # A write that goes round the unit of work is refused by the database itself.
    with container.read_uow() as uow, pytest.raises(DBAPIError):
        now = datetime(2027, 4, 1, tzinfo=UTC)
        uow.session.execute(
            insert(Provider).values(
                ref="PRV901", name="Round", active=True, created_at=now, updated_at=now
            )
        )

    with container.uow() as uow:  # the same database still takes writes elsewhere
        uow.register.add_provider(_provider())
        uow.commit()
    with container.read_uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Provider)) == 1


def test_pooled_connections_pass_between_readers_and_writers(container: Container) -> None:
    """A connection a reader used, back in the pool, takes a writer's changes again,
    and a reader that takes it after a writer still cannot write."""
    engine = container.engine
    for round_ in range(3):
        with container.read_uow() as uow:
            uow.session.scalar(select(func.count()).select_from(Provider))
        with container.uow() as uow:
            provider = _provider()
            provider.ref = f"PRV90{round_}"
            uow.register.add_provider(provider)
            uow.commit()
        with container.read_uow() as uow, pytest.raises(DBAPIError):
            uow.session.execute(
                insert(Provider).values(
                    ref="PRV999",
                    name="X",
                    active=True,
                    created_at=datetime(2027, 4, 1, tzinfo=UTC),
                    updated_at=datetime(2027, 4, 1, tzinfo=UTC),
                )
            )
    assert engine.pool.checkedin() >= 1  # the connections were kept, not closed
    with container.read_uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Provider)) == 3

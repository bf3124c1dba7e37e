"""A savepoint undoes its part of a transaction alone, on either database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from codeservice.bootstrap import Container
from codeservice.storage.errors import ConstraintViolation
from codeservice.storage.models import Provider


def _provider(ref: str) -> Provider:
    now = datetime(2027, 4, 1, tzinfo=UTC)
    return Provider(ref=ref, name=f"{ref} Ltd", active=True, created_at=now, updated_at=now)


def _refs(container: Container) -> list[str]:
    with container.read_uow() as uow:
        return list(uow.session.scalars(select(Provider.ref).order_by(Provider.ref)))


def test_a_dry_run_is_dropped_and_the_rest_of_the_transaction_kept(container: Container) -> None:
    with container.transaction() as uow:
        uow.register.add_provider(_provider("PRV001"))
        with uow.savepoint(keep=False):
            uow.register.add_provider(_provider("PRV002"))
            uow.flush()
            assert uow.session.scalar(select(func.count()).select_from(Provider)) == 2
        uow.register.add_provider(_provider("PRV003"))
    assert _refs(container) == ["PRV001", "PRV003"]


def test_a_failed_part_is_undone_and_the_transaction_goes_on(container: Container) -> None:
    with container.transaction() as uow:
        uow.register.add_provider(_provider("PRV001"))
        uow.flush()
        with pytest.raises(ConstraintViolation), uow.savepoint():
            uow.register.add_provider(_provider("PRV001"))  # the same ref: refused
            uow.flush()
        with uow.savepoint():  # kept
            uow.register.add_provider(_provider("PRV002"))
    assert _refs(container) == ["PRV001", "PRV002"]

"""The helpline tests' world: a register with April's and May's codes issued."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from codeservice.bootstrap import Container
from codeservice.domain.codes import Alphabet
from codeservice.services.distribution.codes import issue_access_code
from tests.integration.services.helpline.support import (
    APRIL,
    MAY,
    REGISTER,
    World,
    assert_nothing_secret_recorded,
)
from tests.support.register import import_register


@pytest.fixture
def world(container: Container, caplog: pytest.LogCaptureFixture) -> Iterator[World]:
    caplog.set_level(logging.DEBUG)
    import_register(container, REGISTER.encode(), "register.csv", actor="tester")
    alphabet = Alphabet.from_excluded(container.settings.code_excluded_characters)
    codes: dict[tuple[str, str], str] = {}
    dates = {cycle: container.calendar.dates(cycle) for cycle in (APRIL, MAY)}
    with container.uow() as uow:
        for cycle, when in dates.items():
            for ref in ("PRV001", "PRV002", "PRV003"):
                provider = uow.register.get_provider(ref)
                assert provider is not None
                issued = issue_access_code(
                    uow,
                    container.keyring,
                    provider=provider,
                    cycle=str(cycle),
                    issue_at=when.issue_at,
                    active_from=when.active_from,
                    active_until=when.active_until,
                    now=when.issue_at,
                    alphabet=alphabet,
                )
                codes[(ref, str(cycle))] = issued.code
        for ref in ("PRV003", "SUB102"):
            provider = uow.register.get_provider(ref)
            assert provider is not None
            provider.active = False
        uow.commit()
    built = World(container, dates[APRIL], dates[MAY], codes)
    yield built
    assert_nothing_secret_recorded(built, caplog)

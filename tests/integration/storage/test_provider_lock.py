"""One lock per provider: every use case that changes a provider's codes, or checks a
caller against them, waits for whoever holds it.

Before there was one lock, a helpline challenge took an advisory lock and a reissue a
row lock, so on PostgreSQL a challenge could be set against a code that a reissue was
revoking. SQLite runs one writer at a time by construction, so this is PostgreSQL's.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from codeservice.bootstrap import Container
from codeservice.domain.calendar import Cycle
from codeservice.services.distribution.rotation import rotate
from tests.support.clock import Clock
from tests.support.dashboard import APRIL, ISSUE_DAY, import_example_register
from tests.support.helpline import start_challenge
from tests.support.reissue import reissue_provider

PROVIDER = "PRV001"
DURING_APRIL = datetime(2027, 4, 14, 9, 0, tzinfo=UTC)

USE_CASES: dict[str, Callable[[Container], object]] = {
    "helpline challenge": lambda app: start_challenge(app, PROVIDER, agent="agent:test"),
    # Its organisation is read with its prime's lock taken (PRV001's subcontractor).
    "helpline challenge for a subcontractor": lambda app: start_challenge(
        app, "SUB101", agent="agent:test"
    ),
    "reissue": lambda app: reissue_provider(
        app, PROVIDER, reason="Precaution", actor="cli:sec", source="test"
    ),
    "rotation": lambda app: rotate(
        app.press, Cycle(2027, 5), now=app.now(), actor="test", source="test", force=True, workers=1
    ),
}


@pytest.fixture
def month(container: Container) -> Iterator[Container]:
    clock = Clock(ISSUE_DAY)
    built = Container(container.settings, clock=clock)
    import_example_register(built)
    rotate(built.press, APRIL, now=built.now(), actor="test", source="test", workers=1)
    clock.now = DURING_APRIL
    yield built
    built.close()


def _someone_waits_for_a_lock(app: Container) -> bool:
    with app.read_uow() as uow:
        waiting = uow.session.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
    return bool(waiting)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("use_case", sorted(USE_CASES))
def test_each_use_case_waits_for_the_provider_lock(month: Container, use_case: str) -> None:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            USE_CASES[use_case](month)
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    worker = threading.Thread(target=run)
    with month.uow() as holder:
        provider = holder.register.get_provider(PROVIDER)
        assert provider is not None
        assert holder.register.lock_provider(provider.id) is not None
        worker.start()
        deadline = time.monotonic() + 60
        while not _someone_waits_for_a_lock(month) and worker.is_alive():
            assert time.monotonic() < deadline, "the use case neither waited nor finished"
            time.sleep(0.05)
        assert worker.is_alive(), f"the {use_case} went ahead while the provider was locked"
        holder.rollback()
    worker.join(timeout=120)

    assert not worker.is_alive()
    assert errors == []

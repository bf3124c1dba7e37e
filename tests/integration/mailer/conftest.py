from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from codeservice.storage.db import make_engine
from mailer.capture import smtp_server
from tests.integration.mailer.support import AesGcmSealer, Recorder
from tests.support.clock import Clock


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    built = make_engine(database_url)
    yield built
    built.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@pytest.fixture
def sealer() -> AesGcmSealer:
    return AesGcmSealer()


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2027, 3, 31, 8, 0, tzinfo=UTC))


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def server_port(recorder: Recorder) -> Iterator[int]:
    with smtp_server(recorder) as controller:
        yield controller.port

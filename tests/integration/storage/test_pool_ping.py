"""PostgreSQL's pool pings a connection only after it sat idle: not once per request (a
round trip each), yet a connection the server dropped while idle is never handed out."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from codeservice.storage import db


@pytest.fixture
def engine(postgres_url: str) -> Iterator[Engine]:
    built = db.make_engine(postgres_url, pool_size=1)
    yield built
    built.dispose()


def _pings(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    pings: list[object] = []
    ping = engine.dialect.do_ping

    def counted(dbapi_connection: object) -> bool:
        pings.append(dbapi_connection)
        return ping(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return pings


def test_a_connection_used_a_moment_ago_is_not_pinged(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    pings = _pings(engine, monkeypatch)
    for _ in range(3):
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT 1")) == 1
    assert pings == []


def test_a_connection_the_server_dropped_while_idle_is_replaced(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with engine.connect() as connection:
        dropped = connection.scalar(text("SELECT pg_backend_pid()"))
    other = db.make_engine(engine.url.render_as_string(hide_password=False))
    with other.connect() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dropped})
    other.dispose()
    pings = _pings(engine, monkeypatch)
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.0)  # it has sat idle long enough
    with engine.connect() as connection:
        replacement = connection.scalar(text("SELECT pg_backend_pid()"))
    assert len(pings) == 1
    assert replacement != dropped

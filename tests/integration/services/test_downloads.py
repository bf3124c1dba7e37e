"""Files waiting for their one download, in the database every web process shares."""

from __future__ import annotations

import base64
import logging
import secrets
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from codeservice.bootstrap import Container, bootstrap
from codeservice.services.operations.downloads import (
    LIFETIME,
    MAX_PER_OWNER,
    Download,
    hold_download,
    take_download,
)
from codeservice.storage.models import AuditRecord, OneTimeDownload
from tests.support.clock import Clock

ANN = "user:ann"
BOB = "user:bob"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
START = datetime(2027, 4, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def service(container: Container, clock: Clock) -> Iterator[Container]:
    built = Container(container.settings, clock=clock)
    yield built
    built.close()


def _content(marker: bytes = b"") -> bytes:
    return b"PK\x03\x04 a code list " + marker + b" " + secrets.token_bytes(64)


def _hold(container: Container, content: bytes, owner: str = ANN) -> str:
    with container.transaction() as uow:
        return hold_download(
            uow,
            container.keyring,
            owner=owner,
            filename="list-2027-04.docx",
            media_type=DOCX,
            content=content,
            now=container.now(),
        )


def _take(container: Container, ticket: str, *, owner: str) -> Download | None:
    """As the download route takes it: in one transaction, at the container's time."""
    with container.transaction() as uow:
        return take_download(uow, container.keyring, ticket, owner=owner, now=container.now())


def _rows(container: Container) -> int:
    with container.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(OneTimeDownload)) or 0


def test_a_file_is_taken_once_by_its_owner(service: Container) -> None:
    content = _content()
    ticket = _hold(service, content)

    taken = _take(service, ticket, owner=ANN)

    assert taken == Download("list-2027-04.docx", DOCX, content)
    assert _take(service, ticket, owner=ANN) is None
    assert _rows(service) == 0


def test_someone_else_gets_nothing_and_the_owner_still_can(service: Container) -> None:
    ticket = _hold(service, _content())

    assert _take(service, ticket, owner=BOB) is None
    assert _take(service, "not a ticket", owner=ANN) is None
    assert _take(service, secrets.token_urlsafe(32), owner=ANN) is None
    assert _take(service, ticket, owner=ANN) is not None


def test_an_expired_file_is_gone(service: Container, clock: Clock) -> None:
    ticket = _hold(service, _content())
    clock.now = START + LIFETIME

    assert _take(service, ticket, owner=ANN) is None
    assert _rows(service) == 0  # and it is deleted


def test_holding_deletes_what_expired(service: Container, clock: Clock) -> None:
    _hold(service, _content())
    clock.now = START + LIFETIME

    _hold(service, _content(), owner=BOB)

    assert _rows(service) == 1


def test_just_before_expiry_it_is_still_there(service: Container, clock: Clock) -> None:
    ticket = _hold(service, _content())
    clock.now = START + LIFETIME - timedelta(seconds=1)

    assert _take(service, ticket, owner=ANN) is not None


def test_each_person_has_only_a_few_files_waiting(service: Container, clock: Clock) -> None:
    tickets = []
    for _ in range(MAX_PER_OWNER + 2):
        tickets.append(_hold(service, _content()))
        clock.now += timedelta(seconds=1)
    bobs = _hold(service, _content(), owner=BOB)

    assert _rows(service) == MAX_PER_OWNER + 1
    assert [_take(service, t, owner=ANN) is not None for t in tickets] == (
        [False, False] + [True] * MAX_PER_OWNER
    )
    assert _take(service, bobs, owner=BOB) is not None


def _race(takers: tuple[Container, Container], ticket: str) -> list[Download | None]:
    """Both take the same ticket at the same moment, each in its own thread."""
    start = threading.Barrier(len(takers))
    got: list[Download | None] = []

    def take(container: Container) -> None:
        start.wait()
        got.append(_take(container, ticket, owner=ANN))

    threads = [threading.Thread(target=take, args=(taker,)) for taker in takers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return got


def test_two_takers_at_once_get_it_exactly_once(
    service: Container, app_env: dict[str, str]
) -> None:
    other = bootstrap(app_env)  # a second process's container: its own engine and pool
    try:
        for takers in [(service, other)] * 3 + [(service, service)] * 2:
            got = _race(takers, _hold(service, _content()))
            assert len(got) == 2
            assert sum(download is not None for download in got) == 1
    finally:
        other.close()


def test_another_process_takes_what_one_held(service: Container, app_env: dict[str, str]) -> None:
    content = _content()
    ticket = _hold(service, content)
    other = bootstrap(app_env)
    try:
        taken = _take(other, ticket, owner=ANN)
        assert taken is not None and taken.content == content
        assert _take(service, ticket, owner=ANN) is None
    finally:
        other.close()


def _raw_bytes(container: Container) -> bytes:
    """The table as someone with the database (its files, or a dump) would read it."""
    url = make_url(container.settings.database_url)
    if url.get_backend_name() == "sqlite":
        path = Path(str(url.database))
        parts = [path.with_name(path.name + suffix) for suffix in ("", "-wal", "-journal")]
        return b"".join(part.read_bytes() for part in parts if part.exists())
    with container.engine.connect() as connection:
        raw = connection.connection.driver_connection  # psycopg's own, with COPY
        assert raw is not None
        copied = bytearray()
        with raw.cursor() as cursor, cursor.copy('COPY "one_time_downloads" TO STDOUT') as copy:
            for chunk in copy:
                copied += chunk
        as_text = connection.execute(text('SELECT t::text FROM "one_time_downloads" t'))
        return bytes(copied) + "\n".join(as_text.scalars()).encode()


def test_the_database_holds_no_plain_content_and_no_ticket(service: Container) -> None:
    marker = b"MARKER-" + secrets.token_hex(8).encode()
    ticket = _hold(service, _content(marker))

    raw = _raw_bytes(service)

    assert b"list-2027-04.docx" in raw  # the search does see the table
    for needle in (marker, marker.hex().encode(), base64.b64encode(marker)):
        found = needle in raw  # not asserted directly: pytest would print the haystack
        assert not found, "the file's content is in the database in plain"
    for needle in (ticket.encode(), base64.urlsafe_b64decode(ticket + "=")):
        found = needle in raw
        assert not found, "the ticket is in the database"


def test_neither_ticket_nor_content_is_logged_or_audited(
    service: Container, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    marker = "MARKER-" + secrets.token_hex(8)
    with service.uow() as uow:
        audited = uow.session.scalar(select(func.count()).select_from(AuditRecord))

    ticket = _hold(service, _content(marker.encode()))
    assert _take(service, ticket, owner=ANN) is not None

    logged = caplog.text
    assert ticket not in logged and marker not in logged
    with service.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(AuditRecord)) == audited

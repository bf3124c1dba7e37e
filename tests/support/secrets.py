"""Looking for a secret everywhere it could have leaked: the database's files and
tables (as pg_dump would write them), in the shapes a leaked secret could take."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import inspect, select, text
from sqlalchemy.engine import make_url

from codeservice.bootstrap import Container
from codeservice.services.distribution.codes import reveal_access_code, reveal_unlock_code
from codeservice.storage.models import AccessCode


def needles(secret: str) -> list[bytes]:
    """The shapes a leaked secret could take in bytes."""
    forms = {secret, secret.replace("-", "")}
    needles: list[bytes] = []
    for form in forms:
        raw = form.encode()
        needles += [
            raw,
            form.encode("utf-16-le"),
            form.encode("utf-16-be"),
            raw.hex().encode(),
            base64.b64encode(raw),
        ]
    return needles


def assert_absent(secrets: Iterable[str], haystacks: dict[str, bytes]) -> None:
    secrets = list(secrets)
    assert secrets
    for secret in secrets:
        for needle in needles(secret):
            for name, haystack in haystacks.items():
                found = needle in haystack  # not asserted directly: pytest would print it
                assert not found, f"a secret appears in {name}"


def database_bytes(container: Container) -> dict[str, bytes]:
    """Everything the database holds, in the forms someone with access would read."""
    url = make_url(container.settings.database_url)
    found: dict[str, bytes] = {}
    if url.get_backend_name() == "sqlite":
        path = Path(str(url.database))
        for suffix in ("", "-wal", "-shm", "-journal"):
            part = path.with_name(path.name + suffix)
            if part.exists():
                found[part.name] = part.read_bytes()
        assert found[path.name]
    with container.engine.connect() as connection:
        tables = inspect(connection).get_table_names()
        assert {"access_codes", "audit_records", "outbox"} <= set(tables)
        for table in tables:  # names from the database itself, not from input
            rows = connection.execute(text(f'SELECT * FROM "{table}"')).all()  # noqa: S608
            found[f"{table} rows"] = b"\n".join(
                (value if isinstance(value, bytes) else str(value).encode())
                for row in rows
                for value in row
            )
            found[f"{table} repr"] = repr(rows).encode()
            if connection.dialect.name == "postgresql":
                # What pg_dump writes: the table as COPY text (bytea as hex), and each
                # row cast to text.
                query = f'SELECT t::text FROM "{table}" t'  # noqa: S608
                as_text = connection.execute(text(query)).scalars()
                found[f"{table} as text"] = "\n".join(as_text).encode()
                raw = connection.connection.dbapi_connection
                assert raw is not None
                with raw.cursor() as cursor:
                    copied = bytearray()
                    with cursor.copy(f'COPY "{table}" TO STDOUT') as copy:
                        for chunk in copy:
                            copied += chunk
                found[f"{table} COPY"] = bytes(copied)
    return found


def revealed(container: Container) -> tuple[list[str], list[str]]:
    keyring = container.keyring
    with container.uow() as uow:
        rows = list(uow.session.scalars(select(AccessCode).order_by(AccessCode.id)))
        return (
            [reveal_access_code(keyring, row) for row in rows],
            [reveal_unlock_code(keyring, row) for row in rows],
        )

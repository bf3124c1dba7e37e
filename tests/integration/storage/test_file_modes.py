"""The SQLite database, its WAL and shared-memory files are the owner's alone (0600),
in a folder only the owner can enter (0700) — created so, or tightened, on real files."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from codeservice.bootstrap import bootstrap
from codeservice.services.operations.setup import initialise
from codeservice.storage.db import make_engine


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The common default umask, under which new files are readable by everyone."""
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.mark.usefixtures("loose_umask")
def test_a_new_database_and_its_wal_are_0600_in_a_0700_home(tmp_path: Path) -> None:
    home = tmp_path / "srv" / "var"
    env = {
        "CODESERVICE_HOME": str(home),
        "CODESERVICE_BASE_URL": "http://127.0.0.1:8000",
    }
    app = bootstrap(env)
    try:
        initialise(app.installation)
        database = home / "codeservice.db"
        with app.engine.connect() as connection:  # WAL and SHM exist while it is open
            connection.execute(text("SELECT count(*) FROM providers"))
            for name in ("codeservice.db", "codeservice.db-wal", "codeservice.db-shm"):
                assert _mode(home / name) == 0o600, name
        assert _mode(home) == 0o700
        assert _mode(database) == 0o600
    finally:
        app.close()


@pytest.mark.usefixtures("loose_umask")
def test_the_engine_alone_creates_its_folder_and_file_privately(tmp_path: Path) -> None:
    database = tmp_path / "data" / "codeservice.db"
    engine = make_engine(f"sqlite:///{database}")
    try:
        assert _mode(database.parent) == 0o700
        assert _mode(database) == 0o600
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (x INTEGER)"))
            connection.execute(text("INSERT INTO t VALUES (1)"))
        with engine.connect() as connection:
            connection.execute(text("SELECT x FROM t"))
            assert _mode(database.with_name("codeservice.db-wal")) == 0o600
    finally:
        engine.dispose()


def test_a_looser_existing_home_and_database_are_tightened_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    home = tmp_path / "var"
    home.mkdir()
    database = home / "codeservice.db"
    make_engine(f"sqlite:///{database}").dispose()
    wal = home / "codeservice.db-wal"
    wal.write_bytes(b"")
    os.chmod(home, 0o755)  # noqa: S103 - loose on purpose
    os.chmod(database, 0o644)
    os.chmod(wal, 0o666)  # noqa: S103 - loose on purpose

    with caplog.at_level(logging.WARNING, logger="codeservice.storage.private_files"):
        make_engine(f"sqlite:///{database}").dispose()

    assert _mode(home) == 0o700
    assert _mode(database) == 0o600
    assert _mode(wal) == 0o600
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(str(home) in w and "755" in w and "700" in w for w in warnings), warnings
    assert any(str(database) in w and "644" in w and "600" in w for w in warnings), warnings
    assert any(str(wal) in w and "666" in w for w in warnings), warnings


def test_init_tightens_a_home_made_loose_by_hand(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    home = tmp_path / "var"
    home.mkdir(mode=0o777)
    os.chmod(home, 0o777)  # noqa: S103 - loose on purpose
    app = bootstrap({"CODESERVICE_HOME": str(home), "CODESERVICE_BASE_URL": "http://x.test"})
    try:
        with caplog.at_level(logging.WARNING, logger="codeservice.storage.private_files"):
            initialise(app.installation)
    finally:
        app.close()
    assert _mode(home) == 0o700
    assert any("tightened" in r.getMessage() for r in caplog.records)


def test_a_shared_sticky_folder_is_left_alone_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)  # noqa: S103 - a shared folder, like /tmp
    with caplog.at_level(logging.WARNING, logger="codeservice.storage.private_files"):
        make_engine(f"sqlite:///{shared / 'codeservice.db'}").dispose()
    assert _mode(shared) == 0o1777
    assert _mode(shared / "codeservice.db") == 0o600
    assert any("folder of its own" in r.getMessage() for r in caplog.records)

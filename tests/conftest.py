"""Shared fixtures: real SQLite and PostgreSQL databases, the app container, the CLI.

Any test that asks for ``database_url`` (directly or through ``container``/``cli``)
runs once against SQLite and once against PostgreSQL. PostgreSQL must be reachable:
if it is not, the run fails — it never skips.
"""

from __future__ import annotations

import gc
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from codeservice.bootstrap import Container, bootstrap
from codeservice.storage.base import metadata as app_metadata
from codeservice.storage.db import make_engine
from codeservice.storage.migrate import upgrade_to_head

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and reporter.stats.get("skipped") and exitstatus == 0:
        reporter.write_line("FAILED: tests were skipped; every test must run here.", red=True)
        session.exitstatus = 1


# --- databases --------------------------------------------------------------------


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL database for this run, migrated to head."""
    admin_url = os.environ.get("CODESERVICE_TEST_POSTGRES_URL", DEFAULT_PG)
    name = f"codeservice_test_{_worker()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # the suite must fail, not skip, without PostgreSQL
        pytest.fail(f"PostgreSQL is required at {admin_url}: {exc}", pytrace=False)
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade_to_head(engine)
    engine.dispose()
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_to_head(engine)
    engine.dispose()
    with sqlite3.connect(path) as connection:  # fold the WAL in, so one file is the copy
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def _all_tables() -> list[str]:
    import mailer.schema
    from codeservice.storage.models import load_all

    load_all()

    names = [t.name for t in app_metadata.sorted_tables]
    names += [t.name for t in mailer.schema.metadata.sorted_tables]
    return names


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "codeservice.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        path.chmod(0o600)  # as the service makes it (a looser file is tightened, with a warning)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    with engine.begin() as connection:
        tables = ", ".join(f'"{t}"' for t in _all_tables())
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


# --- the application --------------------------------------------------------------


@pytest.fixture
def app_env(tmp_path: Path, database_url: str) -> dict[str, str]:
    """Environment for a service whose home is this test's temporary folder."""
    home = tmp_path / "var"
    env = {key: value for key, value in os.environ.items() if not key.startswith("CODESERVICE_")}
    env.update(
        CODESERVICE_HOME=str(home),
        CODESERVICE_DATABASE_URL=database_url,
        CODESERVICE_BASE_URL="http://127.0.0.1:8000",
        CODESERVICE_LOG_LEVEL="INFO",
    )
    return env


@pytest.fixture
def container(app_env: dict[str, str]) -> Iterator[Container]:
    from codeservice.services.operations.setup import initialise

    built = bootstrap(app_env)
    initialise(built.installation)
    yield built
    built.close()


class Cli:
    """Runs ``codeservice`` in-process (fast) or as a real process (``run_process``)."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.env = env
        self.cwd = cwd

    def __call__(self, *args: str, input: str | None = None) -> Any:
        from codeservice.cli import app

        runner = CliRunner()
        old = dict(os.environ)
        os.environ.clear()
        os.environ.update(self.env)
        try:
            return runner.invoke(app, list(args), input=input, catch_exceptions=False)
        finally:
            os.environ.clear()
            os.environ.update(old)
            # Importing the command line freezes what was loaded, and so may a command
            # (``mail send`` does), as for a process of their own; here that would keep
            # every test's garbage to the end.
            gc.unfreeze()

    def run_process(self, *args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "codeservice", *args],
            env=self.env,
            cwd=self.cwd,
            capture_output=True,
            text=True,
            timeout=kwargs.pop("timeout", 300),
            **kwargs,
        )

    def popen(self, *args: str, **kwargs: Any) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "codeservice", *args],
            env=self.env,
            cwd=self.cwd,
            text=True,
            **kwargs,
        )


@pytest.fixture
def cli(app_env: dict[str, str], container: Container, tmp_path: Path) -> Cli:
    return Cli(app_env, tmp_path)

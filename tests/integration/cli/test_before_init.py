"""Every command before ``codeservice init``: a message saying to run it, a non-zero
exit, no traceback, and no database left behind — on SQLite and on an empty
PostgreSQL database alike."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from codeservice.cli import app
from tests.conftest import DEFAULT_PG, ROOT, Cli

# Each command with the arguments it needs to get as far as the database.
COMMANDS: list[tuple[str, ...]] = [
    ("status",),
    ("backup", "nightly"),
    ("rotate", "2027-04", "--force"),
    ("reissue", "PRV001", "--reason", "precaution"),
    ("providers", "import", "register.csv"),
    ("providers", "list"),
    ("providers", "find", "Acme"),
    ("providers", "new-spocs"),
    ("keys", "rotate"),
    ("keys", "status"),
    ("audit", "verify"),
    ("audit", "list"),
    ("audit", "anchor"),
    ("retention", "report"),
    ("retention", "purge"),
    ("mail", "send"),
    ("mail", "list"),
    ("mail", "retry", "1"),
    (
        "incidents",
        "record",
        "--provider",
        "PRV001",
        "--date",
        "2027-03-01",
        "--reason",
        "dismissed",
        "--details",
        "A member of staff was dismissed.",
    ),
    ("incidents", "list"),
    ("incidents", "show", "INC-2027-0001"),
    ("incidents", "assess", "INC-2027-0001"),
    ("incidents", "decide", "INC-2027-0001", "--reason", "checked", "--no-change"),
    ("users", "add", "ann.lee", "--role", "bmt", "--password-file", "password.txt"),
    ("users", "list"),
    ("users", "disable", "ann.lee"),
    ("users", "enable", "ann.lee"),
    ("users", "reset-password", "ann.lee", "--password-file", "password.txt"),
    ("users", "unlock", "ann.lee"),
    ("users", "reset-second-factor", "ann.lee"),
    ("users", "role", "ann.lee", "--role", "security"),
    ("tokens", "create", "crm", "--role", "agent"),
    ("tokens", "list"),
    ("tokens", "revoke", "crm"),
    ("codes", "export", "2027-04"),
    ("helpline", "locks"),
    ("helpline", "unlock", "PRV001"),
]
# What needs no database, and the long-running processes (checked below as real
# processes: they must refuse at once rather than start and fail later), and `restore`,
# which is run instead of `init` (tests/integration/cli/test_backup_restore.py).
NOT_HERE = {"init", "restore", "cycles", "mail capture", "web", "serve", "scheduler", "worker"}


def _environment(home: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CODESERVICE_")}
    # A real process imports this checkout's code, wherever it is started from.
    env.update(CODESERVICE_HOME=str(home), PYTHONPATH=str(ROOT))
    return env


def _all_commands() -> set[str]:
    found: set[str] = set()

    def walk(command: Any, prefix: list[str]) -> None:
        # Through the group's API: the top level builds each command when asked for it.
        if hasattr(command, "list_commands"):
            for name in command.list_commands(None):
                walk(command.get_command(None, name), [*prefix, name])
        else:
            found.add(" ".join(prefix))

    walk(typer.main.get_command(app), [])
    return found


def test_every_command_is_checked_here() -> None:
    checked = set()
    for args in COMMANDS:
        words = (
            [args[0]] if args[0] in {"status", "backup", "rotate", "reissue"} else list(args[:2])
        )
        checked.add(" ".join(words))
    assert _all_commands() - NOT_HERE == checked


@pytest.fixture(params=["sqlite", "postgresql"])
def uninitialised(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Cli, Path]]:
    """A service nobody has run ``init`` for: no SQLite file, or an empty PostgreSQL
    database."""
    home = tmp_path / "var"
    env = _environment(home)
    (tmp_path / "password.txt").write_text("a long enough password here\n", encoding="utf-8")
    (tmp_path / "register.csv").write_text(
        "ref,name,prime_ref,spoc_name,spoc_email,"
        "security_plan_received,security_plan_approved,security_plan_changed\n"
        "PRV001,Acme Training,,Ann Lee,ann.lee@example.org,2024-01-08,2024-02-05,\n",
        encoding="utf-8",
    )
    if request.param == "sqlite":
        yield Cli(env, tmp_path), home
        return
    admin_url = os.environ.get("CODESERVICE_TEST_POSTGRES_URL", DEFAULT_PG)
    name = f"codeservice_empty_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    env["CODESERVICE_DATABASE_URL"] = (
        make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    )
    try:
        yield Cli(env, tmp_path), home
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_every_command_says_to_run_init_first_and_creates_nothing(
    uninitialised: tuple[Cli, Path],
) -> None:
    cli, home = uninitialised
    for command in COMMANDS:
        args = tuple(
            str(cli.cwd / word) if word.endswith((".csv", ".txt")) else word for word in command
        )
        result = cli(*args)
        said = result.output
        assert result.exit_code != 0, (args, said)
        assert "run `codeservice init`" in said, (args, said)
        assert "Traceback" not in said and "no such table" not in said, (args, said)
        assert not (home / "codeservice.db").exists(), args
        assert not home.exists(), args


def test_a_real_process_prints_one_line_not_a_traceback(uninitialised: tuple[Cli, Path]) -> None:
    cli, home = uninitialised
    starts = [("providers", "list"), ("status",), ("rotate", "2027-04", "--force")]
    long_running = [("worker",), ("scheduler",), ("serve", "--port", "0"), ("web", "--port", "0")]
    for args in starts + long_running:
        result = cli.run_process(*args, timeout=60)
        assert result.returncode == 78, (args, result.stderr)
        assert "Traceback" not in result.stderr, args
        assert "run `codeservice init`" in result.stderr, args
        assert not home.exists(), args


def test_a_database_out_of_reach_gets_a_message_not_a_traceback(tmp_path: Path) -> None:
    env = _environment(tmp_path / "var")
    env["CODESERVICE_DATABASE_URL"] = "postgresql+psycopg://postgres@127.0.0.1:9/nowhere"
    result = Cli(env, tmp_path).run_process("providers", "list", timeout=60)
    assert result.returncode == 69, result.stderr
    assert "Traceback" not in result.stderr
    assert "cannot open the database" in result.stderr
    assert "check CODESERVICE_DATABASE_URL" in result.stderr


def test_a_file_that_is_not_a_database_gets_a_message_not_a_traceback(tmp_path: Path) -> None:
    home = tmp_path / "var"
    home.mkdir(mode=0o700)
    (home / "codeservice.db").write_bytes(b"this is not a database at all, just text" * 100)
    (home / "codeservice.db").chmod(0o600)
    result = Cli(_environment(home), tmp_path).run_process("users", "list", timeout=60)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: cannot open the database (file is not a database)")
    assert result.stderr.count("\n") == 1, result.stderr

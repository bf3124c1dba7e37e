"""The restore drill: ``codeservice backup`` in one home, ``codeservice restore`` into a
new one (its own SQLite file, or a new PostgreSQL database), and there ``audit
verify``, ``status`` and a helpline check work. A restore that would overwrite data,
or that has the wrong keyring, is refused and changes nothing."""

from __future__ import annotations

import json
import os
import shutil
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from codeservice.bootstrap import Container, bootstrap
from codeservice.crypto.keyring import Keyring
from codeservice.domain.challenges import PASS
from tests.conftest import DEFAULT_PG, Cli
from tests.integration.services.helpline.support import chars, drawing
from tests.integration.services.test_reissue import APRIL, DURING_APRIL, make_world
from tests.support.helpline import answer_challenge, start_challenge

POSITIONS = (2, 5, 7)


def _issue_april(container: Container) -> str:
    """The register imported and April issued (codes, documents, emails); PRV001's code."""
    world, built = make_world(container, DURING_APRIL)
    try:
        world.issue(APRIL)
        return world.plain(world.codes("PRV001")[0])
    finally:
        built.close()


@pytest.fixture
def empty_database(app_env: dict[str, str], tmp_path: Path) -> Iterator[str | None]:
    """A new, empty database for the new home: None (SQLite in the new home) or the
    URL of a throwaway PostgreSQL database."""
    if app_env["CODESERVICE_DATABASE_URL"].startswith("sqlite"):
        yield None
        return
    admin_url = os.environ.get("CODESERVICE_TEST_POSTGRES_URL", DEFAULT_PG)
    name = f"codeservice_restore_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _new_home(
    app_env: dict[str, str], tmp_path: Path, name: str, database: str | None
) -> dict[str, str]:
    env = {k: v for k, v in app_env.items() if k != "CODESERVICE_DATABASE_URL"}
    env["CODESERVICE_HOME"] = str(tmp_path / name)
    if database is not None:
        env["CODESERVICE_DATABASE_URL"] = database
    return env


def _place_keyring(source: Path, home: Path) -> None:
    (home / "keys").mkdir(parents=True, mode=0o700)
    shutil.copy2(source, home / "keys" / "keyring.json")


def test_a_backup_restored_into_a_new_home_verifies_reports_and_answers_the_helpline(
    cli: Cli,
    container: Container,
    app_env: dict[str, str],
    empty_database: str | None,
    tmp_path: Path,
) -> None:
    code = _issue_april(container)
    keyring_file = container.settings.master_key_file
    key_material = [
        value for key, value in json.loads(keyring_file.read_text()).items() if key.endswith("_key")
    ]
    key_material += list(json.loads(keyring_file.read_text())["sealing_keys"].values())
    backups = tmp_path / "backups"
    backups.mkdir()

    made = cli("backup", str(backups / "tonight"))

    assert made.exit_code == 0, made.output
    identity = container.keyring.identity
    assert f"the keyring that must go with it: {identity}" in made.output
    assert container.keyring.current_key_id in made.output
    assert not any(secret in made.output for secret in key_material)
    folder = backups / "tonight"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    names = sorted(path.name for path in folder.iterdir())
    database_file = "codeservice.db" if empty_database is None else "codeservice.dump"
    assert names == sorted(["audit-anchor.json", "backup.json", database_file])
    assert all(stat.S_IMODE((folder / n).stat().st_mode) == 0o600 for n in names)
    manifest = json.loads((folder / "backup.json").read_text())
    assert manifest["keyring_id"] == identity
    assert manifest["key_ids_needed"] == [container.keyring.current_key_id]
    assert not any(secret in json.dumps(manifest) for secret in key_material)
    assert list(backups.iterdir()) == [folder]  # nothing half-made left beside it

    env = _new_home(app_env, tmp_path, "restored", empty_database)
    _place_keyring(keyring_file, tmp_path / "restored")
    restored = Cli(env, tmp_path)
    done = restored("restore", str(folder))
    assert done.exit_code == 0, done.output
    assert f"keyring {identity}: matches the backup" in done.output

    verified = restored("audit", "verify")
    assert verified.exit_code == 0, verified.output
    assert "hash chain: intact" in verified.output
    trail = restored("audit", "list")
    assert trail.exit_code == 0, trail.output
    assert "system:database:restore" in trail.output
    status = restored("status")
    assert status.exit_code == 0, status.output
    cycle = restored("status", str(APRIL))
    assert cycle.exit_code == 0, cycle.output
    assert "PRV001" in cycle.output

    there = bootstrap(env)
    try:
        view = start_challenge(
            there, "PRV001", agent="agent:jo", now=DURING_APRIL, rng=drawing(POSITIONS)
        )
        answer = chars(code, view.positions)
        assert answer_challenge(there, view.id, answer, agent="agent:jo", now=DURING_APRIL) == PASS
    finally:
        there.close()
    after = restored("audit", "verify")  # the check appended to the restored trail
    assert after.exit_code == 0, after.output

    again = restored("restore", str(folder))  # never over a database holding data
    assert again.exit_code != 0
    assert "is not empty" in again.output
    assert restored("audit", "verify").exit_code == 0  # unchanged


def test_a_restore_with_another_keyring_is_refused_and_changes_nothing(
    cli: Cli,
    container: Container,
    app_env: dict[str, str],
    empty_database: str | None,
    tmp_path: Path,
) -> None:
    _issue_april(container)
    assert cli("backup", str(tmp_path / "tonight")).exit_code == 0
    env = _new_home(app_env, tmp_path, "elsewhere", empty_database)
    home = tmp_path / "elsewhere"
    other = Cli(env, tmp_path)

    missing = other("restore", str(tmp_path / "tonight"))
    assert missing.exit_code == 78
    assert f"put the keyring {container.keyring.identity}" in missing.output
    assert not home.exists()

    Keyring.create_if_missing(home / "keys" / "keyring.json")  # as `init` would make
    wrong = other("restore", str(tmp_path / "tonight"))
    assert wrong.exit_code == 78
    assert f"this backup needs {container.keyring.identity}" in wrong.output
    assert sorted(p.name for p in home.rglob("*")) == ["keyring.json", "keys"]
    if empty_database is not None:
        engine = create_engine(empty_database)
        with engine.connect() as connection:
            tables = connection.execute(
                text("SELECT count(*) FROM information_schema.tables WHERE table_schema='public'")
            ).scalar_one()
        engine.dispose()
        assert tables == 0

    not_a_backup = other("restore", str(tmp_path))
    assert not_a_backup.exit_code == 65
    assert "is not a codeservice backup" in not_a_backup.output


def test_a_backup_never_goes_into_a_folder_holding_files(
    cli: Cli, container: Container, tmp_path: Path
) -> None:
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "old.db").write_text("yesterday")
    result = cli("backup", str(taken))
    assert result.exit_code == 75
    assert "is not an empty folder" in result.output
    assert [p.name for p in taken.iterdir()] == ["old.db"]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".taken")) == []

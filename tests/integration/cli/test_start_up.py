"""What the busiest commands load before they start work: each module kept out of them
here cost their start-up (and a rotation's forkserver) measurable CPU, and would come
back silently with an innocent-looking import."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cli

# Runs a command as ``codeservice`` does, then writes the names of the modules it loaded.
_RUN_AND_LIST = textwrap.dedent(
    """
    import gc, json, sys
    collections = [0, 0, 0]  # by generation, from the first import on
    gc.callbacks.append(
        lambda phase, info: phase == "start" and collections.__setitem__(
            info["generation"], collections[info["generation"]] + 1
        )
    )
    from codeservice.cli import main
    out, sys.argv = sys.argv[1], ["codeservice", *sys.argv[2:]]
    try:
        main()
    except SystemExit as exit:
        assert not exit.code, exit.code
    with open(out, "w") as f:
        json.dump(
            {
                "modules": sorted(sys.modules),
                "frozen": gc.get_freeze_count(),
                "collections": collections,
                "collecting": gc.isenabled(),
            },
            f,
        )
    """
)


def _modules_loaded_by(cli: Cli, tmp_path: Path, *args: str) -> tuple[set[str], str]:
    """The modules the command loaded, and what it logged."""
    found, logged = _run(cli, tmp_path, *args)
    return set(found["modules"]), logged


def _run(cli: Cli, tmp_path: Path, *args: str) -> tuple[dict[str, Any], str]:
    """What the command loaded (``modules``), how many objects it froze (``frozen``),
    the garbage collections by generation (``collections``) and whether the collector
    runs at the end (``collecting``); and what it logged."""
    script, listed = tmp_path / "run_and_list.py", tmp_path / "modules.json"
    script.write_text(_RUN_AND_LIST, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script), str(listed), *args],
        env=cli.env,
        cwd=cli.cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    found: dict[str, Any] = json.loads(listed.read_text(encoding="utf-8"))
    return found, done.stderr


def _loaded(modules: set[str], *packages: str) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in packages or m in packages)


def test_mail_send_loads_no_pydantic_and_no_repository_it_does_not_use(
    cli: Cli, tmp_path: Path
) -> None:
    cli.env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    found, _ = _run(cli, tmp_path, "mail", "send", "--once")
    modules = set(found["modules"])
    assert "mailer.dispatcher" in modules  # it did run
    assert found["frozen"] > 0  # what it loaded is out of the garbage collector's reach
    assert _loaded(modules, "pydantic", "pydantic_core") == []
    # It serves no /metrics: without PROMETHEUS_MULTIPROC_DIR its counts go nowhere.
    assert _loaded(modules, "prometheus_client") == []
    assert "codeservice.storage.repositories.helpline" not in modules
    assert "codeservice.storage.repositories.register" not in modules
    # Of the models, only the audit trail's (its records of what was sent); no
    # PostgreSQL dialect on SQLite (the outbox imports each dialect's INSERT when needed).
    models = sorted(m for m in modules if m.startswith("codeservice.storage.models"))
    assert models == ["codeservice.storage.models", "codeservice.storage.models.audit"]
    if cli.env["CODESERVICE_DATABASE_URL"].startswith("sqlite"):
        assert "sqlalchemy.dialects.postgresql" not in modules


def test_mail_send_loads_with_the_garbage_collector_paused(cli: Cli, tmp_path: Path) -> None:
    """What start-up loads lives as long as the process: the collector must not walk it
    while it loads (it did, over and over: a tenth of an empty --once's CPU), and must
    run again once it is loaded."""
    found, _ = _run(cli, tmp_path, "mail", "send", "--once")
    assert "mailer.dispatcher" in found["modules"]  # it did run
    _, middle, oldest = found["collections"]
    assert oldest == 0, found["collections"]  # no collection walked all it loaded
    if cli.env["CODESERVICE_DATABASE_URL"].startswith("sqlite"):
        # (PostgreSQL's driver loads with the first transaction, the collector running.)
        assert middle == 0, found["collections"]
    assert found["collecting"]  # paused, never left off


@pytest.mark.parametrize("collecting", [True, False])
def test_importing_the_command_line_leaves_the_garbage_collector_as_it_was(
    collecting: bool,
) -> None:
    """Importing it (as the tests and the console script do) pauses the collector only
    while its own imports load."""
    script = f"import gc; gc.enable() if {collecting} else gc.disable(); " + (
        "import codeservice.cli; print(gc.isenabled())"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(collecting)]


def test_rotate_with_nothing_to_issue_starts_no_process_and_builds_no_document(
    cli: Cli, tmp_path: Path
) -> None:
    modules, logged = _modules_loaded_by(cli, tmp_path, "rotate", "2027-04", "--force")
    assert "codeservice.services.distribution.rotation" in modules  # it did run
    assert "document work:" not in logged  # the pool says so when it starts its processes
    assert _loaded(modules, "pydantic", "pydantic_core", "docx") == []
    assert "codeservice.documents.builder" not in modules
    assert "holidays.countries" not in modules  # only the United Kingdom's calendar


def test_the_script_tells_multiprocessing_its_main_is_the_package(tmp_path: Path) -> None:
    """Document workers must not run the ``codeservice`` script again (it imports the
    whole command line): under the script, as under ``python -m codeservice``, the
    preparation data names the package's ``__main__``, which workers leave alone."""
    script = tmp_path / "codeservice"  # like the console script: a file with no spec
    script.write_text(
        textwrap.dedent(
            """
            import sys
            from multiprocessing import spawn
            from codeservice.cli import _main_is_the_package
            _main_is_the_package()
            data = spawn.get_preparation_data("worker")
            print(data.get("init_main_from_name"), data.get("init_main_from_path"))
            """
        ),
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["codeservice.__main__", "None"]

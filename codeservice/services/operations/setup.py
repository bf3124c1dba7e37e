"""Initialise a service: data folder, keys, schema."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from codeservice.crypto.keyring import Keyring
from codeservice.storage.migrate import upgrade_to_head
from codeservice.storage.private_files import private_directory
from codeservice.storage.uow import UnitOfWork

if TYPE_CHECKING:
    from codeservice.storage.backup import Engine


@dataclass(frozen=True)
class Installation:
    """What ``init``, ``backup`` and ``restore`` work on: the files and the database the
    container is built from, which they make or replace. The composition root builds it
    (``container.installation``); ``engine`` and ``keyring`` are built on first call (a
    command's engine refuses, then, a database ``init`` has not set up)."""

    home: Path
    database_url: str
    master_key_file: Path
    audit_anchor_file: Path
    engine: Callable[[], Engine]
    keyring: Callable[[], Keyring]
    uow: Callable[[], UnitOfWork]
    read_uow: Callable[[], UnitOfWork]


def initialise(site: Installation) -> list[str]:
    """Create what is missing and report what was done; running it again changes nothing."""
    report: list[str] = []
    private_directory(site.home)  # 0700: the database, keys and captured mail
    if Keyring.create_if_missing(site.master_key_file):
        report.append(f"created keys in {site.master_key_file}")
    else:
        report.append(f"keys already present in {site.master_key_file}")
    if upgrade_to_head(site.engine()):
        report.append("database schema created or upgraded")
    else:
        report.append("database schema already up to date")
    return report

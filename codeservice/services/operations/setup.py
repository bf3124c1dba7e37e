"""Initialise a service: data folder, keys, schema."""

from __future__ import annotations

from codeservice.bootstrap import Container
from codeservice.crypto.keyring import Keyring
from codeservice.storage.migrate import upgrade_to_head
from codeservice.storage.private_files import private_directory


def initialise(app: Container) -> list[str]:
    """Create what is missing and report what was done; running it again changes nothing."""
    report: list[str] = []
    private_directory(app.settings.home)  # 0700: the database, keys and captured mail
    if Keyring.create_if_missing(app.settings.master_key_file):
        report.append(f"created keys in {app.settings.master_key_file}")
    else:
        report.append(f"keys already present in {app.settings.master_key_file}")
    if upgrade_to_head(app.engine):
        report.append("database schema created or upgraded")
    else:
        report.append("database schema already up to date")
    return report

"""Backup and restore: a consistent copy of the database, and the keyring it needs named.

A backup is a folder holding the database copy (``codeservice.db`` or, for PostgreSQL,
``codeservice.dump``), the audit anchor of the moment and ``backup.json``: which
keyring (its identity, never a key) and which of its keys the copy needs, and the
schema version. The anchor is read before the database is copied, so the copy is
never older than its anchor and ``audit verify`` passes on the restored trail. The
folder is assembled under a temporary name and renamed at the end: it is complete
or absent.

The keyring is not in the backup: it is kept apart, so that a backup alone reveals
nothing. A restore goes into a new home whose keyring is already in place, refuses a
database that is not empty and a keyring that is not the backup's, and changes
nothing when it refuses.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from codeservice.crypto.anchor_file import AnchorFile
from codeservice.crypto.keyring import Keyring
from codeservice.domain.audit import AuditTag
from codeservice.errors import ConfigurationError, Conflict, InputError
from codeservice.services.operations import audit
from codeservice.services.operations.keys import key_status
from codeservice.services.operations.setup import Installation
from codeservice.storage import backup as copies
from codeservice.storage.db import sqlite_file
from codeservice.storage.migrate import current_revision, head_revision, is_known_revision
from codeservice.storage.private_files import private_directory, sync_folder

MANIFEST = "backup.json"
FORMAT = "codeservice-backup/1"
ANCHOR = "audit-anchor.json"
DATABASE_FILES = {"sqlite": "codeservice.db", "postgresql": "codeservice.dump"}


@dataclass(frozen=True)
class Manifest:
    created_at: str
    database: str  # "sqlite" or "postgresql"
    file: str
    schema_revision: str
    keyring_id: str
    key_ids_needed: list[str]
    audit_anchor: str | None  # the anchor's file name in the backup, if there was one


@dataclass(frozen=True)
class BackupReport:
    folder: Path
    manifest: Manifest
    keyring_file: Path


@dataclass(frozen=True)
class RestoreReport:
    database: str  # where it went: a file, or the URL without its password
    manifest: Manifest
    anchor_placed: bool
    needs_migration: bool


def backup(site: Installation, destination: Path, *, now: datetime) -> BackupReport:
    """Copy the database, the audit anchor and a manifest into ``destination`` (a new or
    empty folder); name the keyring that must go with them."""
    _check_destination(destination)
    engine = site.engine()  # an uninitialised database is refused here
    database = engine.dialect.name
    revision = current_revision(engine) or ""
    keyring = site.keyring()
    partial = Path(tempfile.mkdtemp(dir=destination.parent, prefix=f".{destination.name}."))
    try:
        anchor = AnchorFile(site.audit_anchor_file).read()  # before the database
        if anchor is not None:
            _write_private(partial / ANCHOR, anchor)
        file = DATABASE_FILES[database]
        if database == "sqlite":
            copies.copy_sqlite(Path(sqlite_file(site.database_url) or ""), partial / file)
        else:
            copies.dump_postgresql(site.database_url, partial / file)
        # After the copy: every key it can hold, perhaps one more.
        status = key_status(site.read_uow, keyring)
        needed = set(status.access_codes_by_key) | set(status.messages_by_key)
        manifest = Manifest(
            created_at=now.isoformat(timespec="seconds"),
            database=database,
            file=file,
            schema_revision=revision,
            keyring_id=keyring.identity,
            key_ids_needed=sorted(needed & set(keyring.key_ids)),
            audit_anchor=ANCHOR if anchor is not None else None,
        )
        _write_private(partial / MANIFEST, json.dumps({"format": FORMAT, **asdict(manifest)}))
        if destination.exists():
            destination.rmdir()
        for written in partial.iterdir():  # the dump too: pg_dump does not sync it
            _sync_file(written)
        os.replace(partial, destination)
        sync_folder(destination.parent)  # complete on disk before we say it is made
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return BackupReport(destination, manifest, site.master_key_file)


def restore(
    site: Installation, source: Path, *, actor: str, origin: str, now: datetime
) -> RestoreReport:
    """Restore the backup folder ``source`` into this home's (empty) database, and
    record that in its audit trail (once the schema is current: ``init`` first, else)."""
    manifest = read_manifest(source)
    database = "sqlite" if sqlite_file(site.database_url) else "postgresql"
    if manifest.database != database:
        raise InputError(
            f"{source} holds a {manifest.database} database, but CODESERVICE_DATABASE_URL "
            f"names a {database} one: restore it into a {manifest.database} database"
        )
    if not is_known_revision(manifest.schema_revision):
        raise InputError(
            f"{source} was made by a newer version of codeservice (schema "
            f"{manifest.schema_revision}): restore it with that version or a later one"
        )
    _check_keyring(site.master_key_file, manifest)
    target = _check_empty(site, database)
    anchor_placed = _place_anchor(source, manifest, AnchorFile(site.audit_anchor_file))
    if database == "sqlite":
        path = Path(target)
        private_directory(path.parent)
        copies.restore_sqlite(source / manifest.file, path)
        site.engine().dispose()  # a pooled connection would still read the file replaced
    else:
        copies.restore_postgresql(site.database_url, source / manifest.file)
    needs_migration = manifest.schema_revision != head_revision()
    if not needs_migration:
        with site.uow() as uow:
            audit.event(
                uow,
                Keyring.load(site.master_key_file),
                AuditTag.SYSTEM_DATABASE_RESTORE,
                actor=actor,
                source=origin,
                now=now,
                backup_created_at=manifest.created_at,
                database=database,
            )
            uow.commit()
    return RestoreReport(target, manifest, anchor_placed, needs_migration)


def read_manifest(source: Path) -> Manifest:
    """The backup's ``backup.json``, checked: a message naming what is wrong, else."""
    path = source / MANIFEST
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{source} is not a codeservice backup: it has no {MANIFEST}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise InputError(f"cannot read {path}: {reason}") from None
    if not isinstance(document, dict) or document.pop("format", None) != FORMAT:
        raise InputError(f"{path} is not a codeservice backup manifest ({FORMAT})")
    try:
        manifest = Manifest(**document)
    except TypeError:
        raise InputError(f"{path} is incomplete: make the backup again") from None
    if (
        manifest.database not in DATABASE_FILES
        or manifest.file != DATABASE_FILES[manifest.database]
    ):
        raise InputError(f"{path} names no database this version can restore")
    if not (source / manifest.file).is_file():
        raise InputError(f"{source} is incomplete: {manifest.file} is missing")
    return manifest


def _check_destination(destination: Path) -> None:
    if not destination.parent.is_dir():
        raise InputError(f"the folder {destination.parent} does not exist", field="destination")
    if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
        raise Conflict(
            f"{destination} already exists and is not an empty folder: "
            "give a new folder for each backup"
        )


def _check_keyring(path: Path, manifest: Manifest) -> None:
    if not path.exists():
        raise ConfigurationError(
            f"no keyring at {path}: put the keyring {manifest.keyring_id} that goes with "
            "this backup there first (or set CODESERVICE_MASTER_KEY_FILE to it)"
        )
    keyring = Keyring.load(path)
    if keyring.identity != manifest.keyring_id:
        raise ConfigurationError(
            f"the keyring {path} is {keyring.identity}, but this backup needs "
            f"{manifest.keyring_id}: put the backup's keyring there (a keyring made by "
            "`codeservice init` in this home cannot read it)"
        )
    missing = sorted(set(manifest.key_ids_needed) - set(keyring.key_ids))
    if missing:
        raise ConfigurationError(
            f"the keyring {path} lacks the key {missing[0]} this backup needs: "
            "restore the keyring from its latest backup"
        )


def _check_empty(site: Installation, database: str) -> str:
    """Where the database goes; a Conflict if it already holds tables."""
    if database == "sqlite":
        where = sqlite_file(site.database_url) or ""
        tables = copies.sqlite_table_count(Path(where))
    else:
        engine = site.engine()
        where = engine.url.render_as_string(hide_password=True)
        tables = copies.table_count(engine)
        engine.dispose()  # pg_restore needs no connection of ours
    if tables:
        raise Conflict(
            f"the database {where} is not empty ({tables} tables): restore into a new, "
            "empty database (a new CODESERVICE_HOME, or a database made with createdb)"
        )
    return where


def _place_anchor(source: Path, manifest: Manifest, anchor: AnchorFile) -> bool:
    """Put the backup's audit anchor in place; refuse another trail's anchor there."""
    if manifest.audit_anchor is None:
        return False
    text = (source / manifest.audit_anchor).read_text(encoding="utf-8")
    present = anchor.read()
    if present == text:
        return False
    if present is not None:
        raise Conflict(
            f"an audit anchor of another trail is at {anchor.path}: move it away, then "
            "restore again"
        )
    return anchor.compare_and_write(lambda current: text if current is None else None)


def _sync_file(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _write_private(path: Path, text: str) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())

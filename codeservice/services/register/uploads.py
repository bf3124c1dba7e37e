"""A register CSV uploaded in the browser: preview what it changes, then apply it once.

The preview checks the file with the CLI import's rules and runs the very same apply
in a savepoint it then rolls back, so what it lists is what applying will do. The
bytes are kept (``register_uploads``) under a random key with the register's
fingerprint at that moment. Applying takes the import lock, then: a key already
applied answers with its result (a double click applies once); a register changed
since the preview is refused (the preview is stale); otherwise the kept bytes are
checked and applied in one transaction, audited as the CLI import is.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import PurePosixPath, PureWindowsPath

from codeservice.crypto.keyring import Keyring
from codeservice.domain.retention import REGISTER_UPLOAD_KEPT
from codeservice.domain.text import unusable_character
from codeservice.errors import Conflict, NotFound
from codeservice.services.register.apply import Change, ImportSummary, apply_file, register_state
from codeservice.services.register.providers import RegisterRules, check_file, record_import
from codeservice.storage.models import RegisterUpload
from codeservice.storage.uow import UnitOfWork

KEPT_FOR = REGISTER_UPLOAD_KEPT  # a preview not applied by then is forgotten
KEY_LENGTH = 32
STALE = (
    "The register has changed since this preview was made, so it no longer shows what "
    "the file would do. Nothing was changed: upload the file again to see a new preview."
)
EXPIRED = "This preview has expired or does not exist. Nothing was changed: upload the file again."


@dataclass(frozen=True)
class UploadPreview:
    key: str
    summary: ImportSummary


@dataclass(frozen=True)
class AppliedUpload:
    key: str
    filename: str
    applied_at: datetime
    counts: dict[str, int]
    changes: list[Change]
    new: bool  # False: applied before (a double click, a reload), nothing more changed


def upload_name(filename: str | None) -> str:
    """The file's own name, as the browser sent it, fit to show and to audit."""
    name = PureWindowsPath(PurePosixPath(filename or "").name).name.strip()
    if not name or unusable_character(name) is not None:
        return "register.csv"
    return name[:255]


def preview_upload(
    uow: UnitOfWork,
    rules: RegisterRules,
    data: bytes,
    filename: str,
    *,
    prune: bool,
    actor: str,
    now: datetime,
) -> UploadPreview:
    """What applying the file would change (nothing of the register is changed);
    InputError if bad. In the caller's transaction (the caller commits): the dry run in
    a savepoint rolled back, then the file kept for ``apply_upload``."""
    register = check_file(rules, data, filename, now=now)
    summary = ImportSummary(
        filename=filename,
        sha256=hashlib.sha256(data).hexdigest(),
        prune=prune,
        warnings=register.warnings,
    )
    # Taken before the savepoint, so it is held to the end (the dry run inserts new refs,
    # as an import does).
    uow.register.lock_for_import()
    state = register_state(uow)
    with uow.savepoint(keep=False):  # rolled back: a preview changes nothing
        apply_file(uow, register, summary, now)
    key = secrets.token_hex(KEY_LENGTH // 2)
    uow.register.drop_uploads_before(now - KEPT_FOR)
    uow.register.add_upload(
        RegisterUpload(
            key=key,
            filename=filename,
            sha256=summary.sha256,
            data=data,
            prune=prune,
            register_state=state,
            uploaded_by=actor,
            created_at=now,
        )
    )
    return UploadPreview(key, summary)


def apply_upload(
    uow: UnitOfWork,
    keyring: Keyring,
    rules: RegisterRules,
    key: str,
    *,
    actor: str,
    source: str,
    now: datetime,
) -> AppliedUpload:
    """Apply the previewed file once, in the caller's transaction (the caller commits);
    Conflict if the register changed since."""
    if len(key) != KEY_LENGTH or not key.isalnum():
        raise NotFound(EXPIRED)
    uow.register.lock_for_import()
    upload = uow.register.upload_by_key(key, lock=True)
    if upload is None:
        raise NotFound(EXPIRED)
    if upload.applied_at is not None:
        return _applied(upload, new=False)
    if upload.created_at < now - KEPT_FOR:
        raise NotFound(EXPIRED)
    if register_state(uow) != upload.register_state:
        raise Conflict(STALE)
    data = upload.data
    if hashlib.sha256(data).hexdigest() != upload.sha256:
        raise NotFound(EXPIRED)
    register = check_file(rules, data, upload.filename, now=now)
    summary = ImportSummary(
        filename=upload.filename,
        sha256=upload.sha256,
        prune=upload.prune,
        warnings=register.warnings,
    )
    apply_file(uow, register, summary, now)
    record_import(uow, keyring, summary, actor=actor, source=source, now=now)
    upload.applied_at = now
    upload.data = b""  # applied: the register holds it now
    upload.result = json.dumps(
        {"counts": summary.counts(), "changes": [asdict(c) for c in summary.changes]}
    )
    return _applied(upload, new=True)


def applied_upload(uow: UnitOfWork, key: str) -> AppliedUpload:
    """An applied upload's result; NotFound if there is none under ``key``."""
    if len(key) != KEY_LENGTH or not key.isalnum():
        raise NotFound("There is no such upload")
    upload = uow.register.upload_by_key(key)
    if upload is None or upload.applied_at is None:
        raise NotFound("There is no such upload")
    return _applied(upload, new=False)


def _applied(upload: RegisterUpload, *, new: bool) -> AppliedUpload:
    if upload.applied_at is None or upload.result is None:
        raise Conflict(EXPIRED)
    result = json.loads(upload.result)
    return AppliedUpload(
        key=upload.key,
        filename=upload.filename,
        applied_at=upload.applied_at,
        counts={str(k): int(v) for k, v in result["counts"].items()},
        changes=[Change(**change) for change in result["changes"]],
        new=new,
    )

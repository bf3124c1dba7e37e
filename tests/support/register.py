"""Importing a register as ``codeservice providers import`` does: the clock read once, one
transaction opened and committed, the use case handed the container's collaborators."""

from __future__ import annotations

from pathlib import Path

from codeservice.bootstrap import Container
from codeservice.services.register import providers
from codeservice.services.register.apply import ImportSummary
from codeservice.services.register.providers import RegisterRules


def import_register(
    app: Container,
    data: bytes,
    filename: str,
    *,
    prune: bool = False,
    actor: str,
    source: str = "cli",
) -> ImportSummary:
    now = app.now()
    with app.transaction() as uow:
        return providers.import_register(
            uow,
            app.keyring,
            RegisterRules.of(app.settings),
            data,
            filename,
            prune=prune,
            actor=actor,
            source=source,
            now=now,
        )


def import_register_file(
    app: Container, path: Path, *, prune: bool = False, actor: str, source: str = "cli"
) -> ImportSummary:
    now = app.now()
    with app.transaction() as uow:
        return providers.import_register_file(
            uow,
            app.keyring,
            RegisterRules.of(app.settings),
            path,
            prune=prune,
            actor=actor,
            source=source,
            now=now,
        )

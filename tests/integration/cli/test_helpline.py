"""``codeservice helpline locks`` and ``helpline unlock``: the security team lifts a
lock from the command line as from its web page — once, audited under its name."""

from __future__ import annotations

import getpass
import json
from datetime import UTC, datetime

from sqlalchemy import select

from codeservice.bootstrap import Container
from codeservice.domain.challenges import local_day
from codeservice.storage.models import AuditRecord, VerificationLock
from tests.conftest import Cli
from tests.support.dashboard import import_example_register


def _lock(container: Container, ref: str) -> None:
    """Today's lock (the real clock's day, as the command's), as three fails make it."""
    now = datetime.now(UTC)
    with container.transaction() as uow:
        provider = uow.register.get_provider(ref)
        assert provider is not None
        day = local_day(now, container.helpdesk.tz)
        uow.session.add(VerificationLock(provider_id=provider.id, day=day, fails=3, locked_at=now))


def _unlocks(container: Container) -> list[tuple[str, str, dict[str, object]]]:
    with container.uow() as uow:
        rows = uow.session.scalars(
            select(AuditRecord)
            .where(AuditRecord.action == "helpline:verification:unlock")
            .order_by(AuditRecord.seq)
        )
        return [(r.actor, r.source, json.loads(r.details)) for r in rows]


def test_a_lock_is_listed_lifted_once_and_audited(cli: Cli, container: Container) -> None:
    import_example_register(container)
    none = cli("helpline", "locks")
    assert none.exit_code == 0 and "No prime provider" in none.stdout
    _lock(container, "PRV001")

    listed = cli("helpline", "locks", "--json")
    assert listed.exit_code == 0, listed.output
    [lock] = json.loads(listed.stdout)
    assert (lock["provider_ref"], lock["fails"]) == ("PRV001", 3)
    assert "Northfield" in cli("helpline", "locks").stdout

    # A subcontractor's ref names its prime's lock, as the agent's search does.
    first = cli("helpline", "unlock", " SUB101 ")
    assert first.exit_code == 0, first.output
    assert "is unlocked" in first.stdout
    again = cli("helpline", "unlock", "PRV001")  # a colleague, or the web page, first
    assert again.exit_code == 0, again.output
    assert "already unlocked" in again.stdout
    assert "No prime provider" in cli("helpline", "locks").stdout
    [(actor, source, details)] = _unlocks(container)
    assert (actor, source) == (f"cli:{getpass.getuser()}", "cli")
    assert details["prime"] == "PRV001"


def test_what_was_never_locked_or_does_not_exist_is_refused(cli: Cli, container: Container) -> None:
    import_example_register(container)
    never = cli("helpline", "unlock", "PRV002")
    assert never.exit_code == 75, never.output  # a conflict: nothing to lift
    assert "is not locked today" in never.output
    unknown = cli("helpline", "unlock", "PRV999")
    assert unknown.exit_code == 66, unknown.output
    assert "PRV999" in unknown.output and "Traceback" not in unknown.output
    assert _unlocks(container) == []

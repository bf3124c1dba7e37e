"""``codeservice users`` and ``codeservice tokens`` as an administrator uses them."""

from __future__ import annotations

import getpass
import json
from pathlib import Path

from sqlalchemy import select

from codeservice.bootstrap import Container
from codeservice.storage.models import AuditRecord, StaffUser
from tests.conftest import Cli
from tests.integration.web.staff import NEW_PASSWORD, PASSWORD
from tests.support.second_factor import seed_factor, sign_in_fully
from tests.support.staff import session_principal, sign_in, token_principal


def _typed(password: str, again: str | None = None) -> str:
    return f"{password}\n{again if again is not None else password}\n"


def _audit(container: Container) -> list[tuple[str, str, dict[str, object]]]:
    with container.uow() as uow:
        rows = uow.session.scalars(select(AuditRecord).order_by(AuditRecord.seq))
        return [(r.action, r.actor, json.loads(r.details)) for r in rows]


def _password_file(tmp_path: Path, password: str) -> str:
    path = tmp_path / "password.txt"
    path.write_text(password + "\n", encoding="utf-8")
    return str(path)


def test_add_asks_for_the_password_twice_without_echo(cli: Cli, container: Container) -> None:
    result = cli(
        "users",
        "add",
        "Ann.Lee",
        "--role",
        "bmt",
        "--display-name",
        "Ann Lee",
        input=_typed(PASSWORD),
    )

    assert result.exit_code == 0, result.output
    assert "Added staff account ann.lee (bmt)." in result.stdout
    assert PASSWORD not in result.output
    with container.uow() as uow:
        user = uow.session.scalars(select(StaffUser)).one()
        assert (user.name, user.display_name, user.role) == ("ann.lee", "Ann Lee", "bmt")
        assert user.password_hash.startswith("$argon2id$")
    assert _audit(container)[-1] == (
        "staff:user:create",
        f"cli:{getpass.getuser()}",
        {"username": "ann.lee", "role": "bmt"},
    )


def test_mismatched_or_weak_passwords_are_refused_with_the_reason(
    cli: Cli, container: Container
) -> None:
    mismatch = cli("users", "add", "ann", "--role", "bmt", input=_typed(PASSWORD, "other"))
    short = cli("users", "add", "ann", "--role", "bmt", input=_typed("short"))
    common = cli("users", "add", "ann", "--role", "bmt", input=_typed("password1234"))
    holds_name = cli("users", "add", "ann", "--role", "bmt", input=_typed("ann-otter-lamp-sky"))

    assert mismatch.exit_code == 65
    assert "error: the two passwords do not match; nothing was changed" in mismatch.stderr
    assert short.exit_code == 65
    assert "error: the password must be at least 12 characters long" in short.stderr
    assert common.exit_code == 65
    assert "too easy to guess (this is a very common password)" in common.stderr
    assert holds_name.exit_code == 65
    assert "must not contain the username" in holds_name.stderr
    assert "Traceback" not in short.output
    assert cli("users", "list", "--json").stdout.strip() == "[]"


def test_add_reads_a_password_file_and_refuses_a_bad_role(cli: Cli, tmp_path: Path) -> None:
    added = cli(
        "users",
        "add",
        "sam",
        "--role",
        "security",
        "--password-file",
        _password_file(tmp_path, PASSWORD),
    )
    bad_role = cli("users", "add", "kim", "--role", "root", "--password-file", str(tmp_path))
    missing = cli("users", "add", "kim", "--role", "agent", "--password-file", "/no/such/file")
    taken = cli(
        "users",
        "add",
        "SAM",
        "--role",
        "bmt",
        "--password-file",
        _password_file(tmp_path, PASSWORD),
    )

    assert added.exit_code == 0, added.output
    assert bad_role.exit_code == 2
    assert "root" in bad_role.output
    assert missing.exit_code == 65
    assert "cannot read the password file /no/such/file" in missing.stderr
    assert taken.exit_code == 75
    assert "already a staff account named 'sam'" in taken.stderr


def test_list_shows_accounts_but_never_a_hash(cli: Cli, tmp_path: Path) -> None:
    password_file = _password_file(tmp_path, PASSWORD)
    cli("users", "add", "ann", "--role", "bmt", "--password-file", password_file)
    cli("users", "add", "sam", "--role", "admin", "--password-file", password_file)

    table = cli("users", "list")
    listed = json.loads(cli("users", "list", "--json").stdout)

    assert table.exit_code == 0
    assert "ann" in table.stdout and "admin" in table.stdout and "never" in table.stdout
    assert [(u["name"], u["role"], u["active"]) for u in listed] == [
        ("ann", "bmt", True),
        ("sam", "admin", True),
    ]
    assert "argon2" not in table.stdout + json.dumps(listed)
    assert "password_hash" not in listed[0]


def test_disable_enable_reset_and_unlock(cli: Cli, container: Container, tmp_path: Path) -> None:
    password_file = _password_file(tmp_path, PASSWORD)
    cli("users", "add", "ann", "--role", "bmt", "--password-file", password_file)
    seed_factor(container, "ann")
    signed_in = sign_in_fully(container, "ann", PASSWORD, ip="127.0.0.1")

    disabled = cli("users", "disable", "ann")
    listed = cli("users", "list")
    enabled = cli("users", "enable", "ann")
    reset = cli("users", "reset-password", "ann", input=_typed(NEW_PASSWORD))
    unlocked = cli("users", "unlock", "ann")
    unknown = cli("users", "disable", "nobody")

    assert disabled.exit_code == 0, disabled.output
    assert "Disabled ann; its sessions have ended." in disabled.stdout
    assert "disabled" in listed.stdout
    assert session_principal(container, signed_in.user_id, signed_in.session_epoch) is None
    assert enabled.exit_code == 0
    assert reset.exit_code == 0, reset.output
    assert sign_in_fully(container, "ann", NEW_PASSWORD, ip="127.0.0.1").principal.name == "ann"
    assert "ann was not locked." in unlocked.stdout
    assert unknown.exit_code == 66
    assert "no staff account named 'nobody'" in unknown.stderr
    actions = [a[0] for a in _audit(container)]
    for action in (
        "staff:user:disable",
        "staff:user:enable",
        "staff:user:reset_password",
        "staff:account:unlock",
    ):
        assert action in actions


def test_a_token_is_printed_once_and_only_its_prefix_is_listed(
    cli: Cli, container: Container
) -> None:
    created = cli("tokens", "create", "helpline-crm", "--role", "agent")

    assert created.exit_code == 0, created.output
    token = created.stdout.strip()
    assert token.startswith("cs_")
    assert "Copy it now: it cannot be shown again." in created.stderr
    principal = token_principal(container, token)
    assert principal is not None and principal.actor == "token:helpline-crm"

    table = cli("tokens", "list")
    listed = json.loads(cli("tokens", "list", "--json").stdout)
    assert token not in table.stdout + json.dumps(listed)
    assert token[:11] in table.stdout  # "cs_" and the prefix
    assert [(t["name"], t["role"], t["revoked_at"]) for t in listed] == [
        ("helpline-crm", "agent", None)
    ]
    assert token not in json.dumps(_audit(container))


def test_a_revoked_token_stops_working(cli: Cli, container: Container) -> None:
    token = cli("tokens", "create", "crm", "--role", "agent").stdout.strip()

    revoked = cli("tokens", "revoke", "crm")
    again = cli("tokens", "revoke", "crm")

    assert revoked.exit_code == 0
    assert token_principal(container, token) is None
    assert again.exit_code == 66
    assert "no live token named 'crm'" in again.stderr
    assert "No API tokens." in cli("tokens", "list").stdout
    assert "crm" in cli("tokens", "list", "--all").stdout
    assert cli("tokens", "create", "crm", "--role", "agent").exit_code == 0


def test_the_last_active_admin_keeps_the_role_and_cannot_be_disabled(
    cli: Cli, container: Container, tmp_path: Path
) -> None:
    password_file = _password_file(tmp_path, PASSWORD)
    added = cli("users", "add", "root", "--role", "admin", "--password-file", password_file)
    assert added.exit_code == 0, added.output

    demoted = cli("users", "role", "root", "--role", "bmt")
    disabled = cli("users", "disable", "root")
    cli("users", "add", "ann", "--role", "agent", "--password-file", password_file)
    promoted = cli("users", "role", "ann", "--role", "admin")
    now_demoted = cli("users", "role", "root", "--role", "bmt")

    assert demoted.exit_code == 75
    assert "root is the last active administrator" in demoted.stderr
    assert disabled.exit_code == 75
    assert promoted.exit_code == 0 and "ann is now admin." in promoted.stdout
    assert now_demoted.exit_code == 0
    assert ("staff:user:role", {"username": "root", "role": "bmt", "previous_role": "admin"}) in [
        (action, details) for action, _, details in _audit(container)
    ]


def test_the_first_admin_sets_up_a_second_factor_and_the_cli_can_reset_it(
    cli: Cli, container: Container, tmp_path: Path
) -> None:
    """A new install's first admin has no second factor: the password alone starts no
    session. When the only admin has lost theirs, the CLI takes them away."""
    password_file = _password_file(tmp_path, PASSWORD)
    cli("users", "add", "root", "--role", "admin", "--password-file", password_file)
    assert sign_in(container, "root", PASSWORD, ip="127.0.0.1").has_factor is False
    seed_factor(container, "root")
    assert sign_in(container, "root", PASSWORD, ip="127.0.0.1").has_factor is True
    token = cli("tokens", "create", "crm", "--role", "agent")

    reset = cli("users", "reset-second-factor", "root")
    unknown = cli("users", "reset-second-factor", "nobody")

    assert reset.exit_code == 0, reset.output
    assert "Removed 1 second factor and the recovery codes of root" in reset.stdout
    assert sign_in(container, "root", PASSWORD, ip="127.0.0.1").has_factor is False
    assert unknown.exit_code == 66
    (reset_record,) = [a for a in _audit(container) if a[0] == "staff:factor:reset"]
    assert reset_record[2] == {
        "username": "root",
        "factors_removed": 1,
        "recovery_codes_removed": 10,
    }
    assert token_principal(container, token.stdout.strip()) is not None  # API tokens unchanged


def test_a_piped_password_is_its_line_without_a_byte_order_mark_or_line_end(
    cli: Cli, container: Container
) -> None:
    from argon2 import PasswordHasher

    saved_by_notepad = f"\ufeff{PASSWORD}\r\n{PASSWORD}\r\n"
    added = cli("users", "add", "ann", "--role", "bmt", input=saved_by_notepad)
    endless = cli("users", "add", "bob", "--role", "bmt", input="x" * 5_000_000)

    assert added.exit_code == 0, added.output
    with container.uow() as uow:
        (user,) = uow.session.scalars(select(StaffUser)).all()
        assert PasswordHasher().verify(user.password_hash, PASSWORD)
    assert endless.exit_code == 65
    assert "the first line of standard input is longer than any password" in endless.output


def test_a_token_that_cannot_be_shown_is_not_made(cli: Cli) -> None:
    with open("/dev/full", "w") as full:  # every write fails: No space left on device
        process = cli.popen("tokens", "create", "crm", "--role", "agent", stdout=full)
        assert process.wait(timeout=300) == 74

    assert "crm" not in cli("tokens", "list", "--all").stdout
    again = cli("tokens", "create", "crm", "--role", "agent")
    assert again.exit_code == 0 and again.stdout.startswith("cs_")

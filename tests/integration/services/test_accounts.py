"""Staff accounts, signing in and API tokens against real SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import json
import logging
from datetime import timedelta
from types import SimpleNamespace

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from codeservice.bootstrap import Container
from codeservice.domain.accounts import Role, WeakPassword
from codeservice.errors import Conflict, NotFound
from codeservice.services.staff.sign_in import AccountLocked, SignInRefused
from codeservice.storage.models import ApiToken, AuditRecord, StaffUser
from tests.integration.web.links import NOW
from tests.integration.web.staff import NEW_PASSWORD, PASSWORD
from tests.support.clock import Clock
from tests.support.second_factor import seed_factor
from tests.support.second_factor import sign_in_fully as sign_in
from tests.support.secrets import assert_absent, database_bytes
from tests.support.staff import (
    add_user,
    create_token,
    disable_user,
    enable_user,
    list_tokens,
    list_users,
    reset_password,
    revoke_token,
    session_principal,
    sign_out,
    token_principal,
    unlock_user,
)


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def service(container: Container, clock: Clock) -> Container:
    """The test service on a settable clock, answering failures without a delay."""
    settings = dataclasses.replace(container.settings, sign_in_delay_max_ms=0)
    return Container(settings, clock=clock)


def _add(service: Container, name: str = "ann", role: Role = Role.BMT) -> None:
    add_user(service, name, role=role, password=PASSWORD, actor="cli:root")
    seed_factor(service, name)


def _user(service: Container, name: str = "ann") -> SimpleNamespace:
    """The account's columns as they are now."""
    with service.uow() as uow:
        user = uow.accounts.user_named(name)
        assert user is not None
        return SimpleNamespace(**{c.key: getattr(user, c.key) for c in StaffUser.__table__.c})


def _audit(service: Container) -> list[tuple[str, str, str, dict[str, object]]]:
    with service.uow() as uow:
        rows = uow.session.scalars(select(AuditRecord).order_by(AuditRecord.seq))
        return [(r.action, r.actor, r.source, json.loads(r.details)) for r in rows]


def test_a_new_account_keeps_an_argon2id_hash_and_is_audited(service: Container) -> None:
    add_user(
        service,
        "Ann.Lee",
        role=Role.SECURITY,
        password=PASSWORD,
        display_name=" Ann Lee ",
        actor="cli:root",
    )

    user = _user(service, "ann.lee")
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    assert (user.role, user.display_name, user.active, user.created_at) == (
        "security",
        "Ann Lee",
        True,
        NOW,
    )
    assert _audit(service) == [
        ("staff:user:create", "cli:root", "cli", {"username": "ann.lee", "role": "security"})
    ]
    assert [v.name for v in list_users(service)] == ["ann.lee"]
    assert "password_hash" not in list_users(service)[0].as_dict()


def test_a_weak_password_or_a_taken_name_changes_nothing(service: Container) -> None:
    with pytest.raises(WeakPassword, match="at least 12 characters"):
        add_user(service, "ann", role=Role.BMT, password=PASSWORD[:11], actor="cli:root")
    _add(service)
    with pytest.raises(Conflict, match="already a staff account named 'ann'"):
        _add(service, "ANN")

    assert [v.name for v in list_users(service)] == ["ann"]
    assert [a[0] for a in _audit(service) if not a[0].startswith("staff:factor:")] == [
        "staff:user:create"
    ]


def test_signing_in_is_audited_and_noted(service: Container) -> None:
    _add(service)

    signed_in = sign_in(service, " Ann ", PASSWORD, ip="192.0.2.7")

    assert signed_in.principal.actor == "user:ann"
    assert signed_in.principal.role is Role.BMT
    assert _user(service).last_sign_in_at == NOW
    assert _audit(service)[-1] == (
        "staff:session:sign_in",
        "user:ann",
        "192.0.2.7",
        {"username": "ann", "role": "bmt", "factor": "totp"},
    )


def test_a_wrong_password_and_an_unknown_name_are_refused_alike(service: Container) -> None:
    _add(service)

    with pytest.raises(SignInRefused) as wrong:
        sign_in(service, "ann", "not the password at all", ip="192.0.2.7")
    with pytest.raises(SignInRefused) as unknown:
        sign_in(service, "nobody", PASSWORD, ip="192.0.2.7")

    assert str(wrong.value) == str(unknown.value) == "Enter a correct username and password"
    assert _user(service).failed_attempts == 1
    failures = [a for a in _audit(service) if a[0] == "staff:session:sign_in_fail"]
    assert failures == [
        (
            "staff:session:sign_in_fail",
            "anonymous",
            "192.0.2.7",
            {"username": "ann", "reason": "wrong_password", "failed_attempts": 1},
        ),
        (
            "staff:session:sign_in_fail",
            "anonymous",
            "192.0.2.7",
            {"username": "nobody", "reason": "unknown_user", "failed_attempts": 1},
        ),
    ]
    assert "not the password" not in json.dumps(_audit(service))


def test_ten_wrong_passwords_lock_until_the_time_runs_out(service: Container, clock: Clock) -> None:
    _add(service)
    for _ in range(9):
        with pytest.raises(SignInRefused):
            sign_in(service, "ann", "not the password at all", ip="192.0.2.7")
    with pytest.raises(AccountLocked) as tenth:
        sign_in(service, "ann", "not the password at all", ip="192.0.2.7")
    assert tenth.value.locked_until == NOW + timedelta(minutes=15)

    with pytest.raises(AccountLocked):
        sign_in(service, "ann", PASSWORD, ip="192.0.2.7")  # right, but locked
    clock.now = NOW + timedelta(minutes=15)
    signed_in = sign_in(service, "ann", PASSWORD, ip="192.0.2.7")

    assert signed_in.principal.name == "ann"
    assert (_user(service).failed_attempts, _user(service).locked_until) == (0, None)
    actions = [a[0] for a in _audit(service)]
    assert actions.count("staff:session:sign_in_fail") == 10
    assert actions.count("staff:account:lock") == 1
    assert actions[-2:] == ["staff:session:sign_in_refuse", "staff:session:sign_in"]


def test_an_administrator_can_unlock_an_account(service: Container) -> None:
    _add(service)
    for _ in range(10):
        with pytest.raises((SignInRefused, AccountLocked)):
            sign_in(service, "ann", "not the password at all", ip="192.0.2.7")

    assert unlock_user(service, "ann", actor="cli:root") is True
    assert sign_in(service, "ann", PASSWORD, ip="192.0.2.7").principal.name == "ann"
    assert unlock_user(service, "ann", actor="cli:root") is False


def test_disabling_ends_sessions_and_refuses_sign_in(service: Container) -> None:
    _add(service)
    signed_in = sign_in(service, "ann", PASSWORD, ip="192.0.2.7")
    assert session_principal(service, signed_in.user_id, signed_in.session_epoch) is not None

    disable_user(service, "ann", actor="cli:root")

    assert session_principal(service, signed_in.user_id, signed_in.session_epoch) is None
    with pytest.raises(SignInRefused):
        sign_in(service, "ann", PASSWORD, ip="192.0.2.7")
    assert _audit(service)[-1][3] == {"username": "ann", "reason": "disabled", "failed_attempts": 1}
    enable_user(service, "ann", actor="cli:root")
    assert sign_in(service, "ann", PASSWORD, ip="192.0.2.7").principal.name == "ann"


def test_signing_out_ends_the_session(service: Container) -> None:
    _add(service)
    signed_in = sign_in(service, "ann", PASSWORD, ip="192.0.2.7")

    sign_out(service, signed_in.user_id, signed_in.session_epoch, ip="192.0.2.7")
    sign_out(service, signed_in.user_id, signed_in.session_epoch, ip="192.0.2.7")  # no-op

    assert session_principal(service, signed_in.user_id, signed_in.session_epoch) is None
    assert [a[0] for a in _audit(service)].count("staff:session:sign_out") == 1


def test_a_password_reset_ends_sessions_clears_the_lock_and_is_checked(
    service: Container,
) -> None:
    _add(service)
    signed_in = sign_in(service, "ann", PASSWORD, ip="192.0.2.7")
    for _ in range(10):
        with pytest.raises((SignInRefused, AccountLocked)):
            sign_in(service, "ann", "not the password at all", ip="192.0.2.7")
    with pytest.raises(WeakPassword, match="must not contain the username"):
        reset_password(service, "ann", "ann-otter-lamp-sky", actor="cli:root")

    reset_password(service, "ann", NEW_PASSWORD, actor="cli:root")

    assert session_principal(service, signed_in.user_id, signed_in.session_epoch) is None
    with pytest.raises(SignInRefused):
        sign_in(service, "ann", PASSWORD, ip="192.0.2.7")
    assert sign_in(service, "ann", NEW_PASSWORD, ip="192.0.2.7").principal.name == "ann"
    assert _user(service).password_changed_at == NOW


def test_an_old_hash_is_upgraded_at_sign_in(service: Container) -> None:
    _add(service)
    old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with service.uow() as uow:
        user = uow.accounts.user_named("ann")
        assert user is not None
        user.password_hash = old
        uow.commit()

    sign_in(service, "ann", PASSWORD, ip="192.0.2.7")

    upgraded = _user(service).password_hash
    assert upgraded != old
    assert not PasswordHasher().check_needs_rehash(upgraded)


def test_unknown_accounts_cannot_be_managed(service: Container) -> None:
    with pytest.raises(NotFound, match="no staff account named 'nobody'"):
        disable_user(service, "nobody", actor="cli:root")


def test_a_token_is_shown_once_and_kept_as_a_digest(service: Container) -> None:
    created = create_token(service, "Helpline-CRM", role=Role.AGENT, actor="cli:root")

    assert created.token.startswith(f"cs_{created.view.prefix}_")
    principal = token_principal(service, created.token)
    assert principal is not None
    assert (principal.actor, principal.role) == ("token:helpline-crm", Role.AGENT)
    with service.uow() as uow:
        row = uow.session.scalars(select(ApiToken)).one()
        assert created.token.encode() not in row.digest
        assert row.last_used_at == NOW
    assert created.token not in json.dumps(_audit(service))
    assert _audit(service)[-1][:2] == ("api:token:create", "cli:root")


def test_a_revoked_or_altered_token_is_refused(service: Container) -> None:
    created = create_token(service, "crm", role=Role.AGENT, actor="cli:root")
    altered = created.token[:-1] + ("A" if created.token[-1] != "A" else "B")

    assert token_principal(service, altered) is None
    assert token_principal(service, "not-a-token") is None
    revoke_token(service, "crm", actor="cli:root")

    assert token_principal(service, created.token) is None
    assert list_tokens(service) == []
    assert [t.name for t in list_tokens(service, include_revoked=True)] == ["crm"]


def test_a_name_is_used_by_one_live_token_at_a_time(service: Container) -> None:
    first = create_token(service, "crm", role=Role.AGENT, actor="cli:root")
    with pytest.raises(Conflict, match="revoke it first"):
        create_token(service, "crm", role=Role.AGENT, actor="cli:root")
    revoke_token(service, "crm", actor="cli:root")

    second = create_token(service, "crm", role=Role.AGENT, actor="cli:root")

    assert token_principal(service, first.token) is None
    assert token_principal(service, second.token) is not None
    with pytest.raises(NotFound):
        revoke_token(service, "other", actor="cli:root")


def test_no_password_or_token_reaches_the_database_or_the_logs(
    service: Container, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy.engine")  # statements and parameters
    _add(service)
    sign_in(service, "ann", PASSWORD, ip="192.0.2.7")
    with pytest.raises(SignInRefused):
        sign_in(service, "ann", NEW_PASSWORD, ip="192.0.2.7")
    reset_password(service, "ann", "quiet harbour violet 81", actor="cli:root")
    token = create_token(service, "crm", role=Role.AGENT, actor="cli:root").token
    assert token_principal(service, token) is not None

    haystacks = {**database_bytes(service), "logs": caplog.text.encode()}
    assert_absent([PASSWORD, NEW_PASSWORD, "quiet harbour violet 81", token], haystacks)


def test_a_name_longer_than_any_account_never_matches_one(service: Container) -> None:
    name = "a" * 64
    _add(service, name)

    with pytest.raises(SignInRefused):
        sign_in(service, name + "-and-more", PASSWORD, ip="192.0.2.7")

    assert _audit(service)[-1][3] == {
        "username": name,
        "reason": "unknown_user",
        "failed_attempts": 1,
    }

"""Second factors on a real database: enrolment, the second step and its throttling,
replays, recovery codes, removal and an administrator's reset."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from codeservice.bootstrap import Container
from codeservice.domain.accounts import Role
from codeservice.errors import Conflict, InputError
from codeservice.services.staff.second_step import SignInExpired
from codeservice.services.staff.sign_in import AccountLocked, SignInRefused
from codeservice.storage.models import AuditRecord
from tests.integration.web.links import NOW
from tests.integration.web.staff import PASSWORD
from tests.support.clock import Clock
from tests.support.secrets import assert_absent, database_bytes
from tests.support.staff import (
    add_app,
    add_user,
    enrol_app_at_sign_in,
    overview,
    remove_factor,
    replace_recovery_codes,
    reset_second_factors,
    second_step_with_code,
    second_step_with_recovery_code,
    session_principal,
    setup_totp,
    sign_in,
)

IP = "192.0.2.7"


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def service(container: Container, clock: Clock) -> Container:
    settings = dataclasses.replace(container.settings, sign_in_delay_max_ms=0)
    return Container(settings, clock=clock)


def _audit(service: Container, prefix: str) -> list[tuple[str, str, dict[str, object]]]:
    with service.uow() as uow:
        rows = uow.session.scalars(select(AuditRecord).order_by(AuditRecord.seq))
        return [
            (r.action, r.actor, json.loads(r.details)) for r in rows if r.action.startswith(prefix)
        ]


def _enrolled(service: Container, name: str = "ann") -> tuple[str, list[str]]:
    """An account that signed in for the first time and set up an app: its key, its codes."""
    add_user(service, name, role=Role.BMT, password=PASSWORD, actor="cli:root")
    accepted = sign_in(service, name, PASSWORD, ip=IP)
    assert accepted.has_factor is False
    key = setup_totp(service, accepted.user_id).key
    code = pyotp.TOTP(key).at(service.now())
    enrolled = enrol_app_at_sign_in(
        service, accepted.user_id, accepted.session_epoch, code, "", ip=IP
    )
    assert enrolled.signed_in.principal.name == name
    return key, enrolled.recovery_codes


def test_the_first_sign_in_sets_up_an_app_and_gives_ten_codes_kept_secret(
    service: Container,
) -> None:
    key, codes = _enrolled(service)

    assert len(codes) == 10
    (factor,) = overview(service, 1).factors
    assert (factor.name, factor.kind.value) == ("Authenticator app", "totp")
    assert overview(service, 1).recovery_codes_left == 10
    enrol = _audit(service, "staff:factor:enrol")
    assert enrol == [
        (
            "staff:factor:enrol",
            "user:ann",
            {"username": "ann", "kind": "totp", "factor": "Authenticator app"},
        )
    ]
    assert_absent([key, *codes, *(c.replace("-", "") for c in codes)], database_bytes(service))


def test_a_wrong_setup_code_keeps_the_key_and_enrols_nothing(service: Container) -> None:
    add_user(service, "ann", role=Role.BMT, password=PASSWORD, actor="cli:root")
    accepted = sign_in(service, "ann", PASSWORD, ip=IP)
    key = setup_totp(service, accepted.user_id).key

    with pytest.raises(InputError, match="not right"):
        enrol_app_at_sign_in(service, accepted.user_id, accepted.session_epoch, "000000", "", ip=IP)

    assert setup_totp(service, accepted.user_id).key == key  # the same key, shown again
    assert overview(service, accepted.user_id).factors == []


def test_a_code_signs_in_once_per_step_and_a_replay_is_refused(
    service: Container, clock: Clock
) -> None:
    key, _ = _enrolled(service)
    clock.now += timedelta(seconds=60)
    code = pyotp.TOTP(key).at(clock.now)

    accepted = sign_in(service, "ann", PASSWORD, ip=IP)
    assert accepted.has_factor is True
    signed_in = second_step_with_code(service, 1, accepted.session_epoch, code, ip=IP)
    assert session_principal(service, 1, signed_in.session_epoch) is not None

    again = sign_in(service, "ann", PASSWORD, ip=IP)
    with pytest.raises(SignInRefused):
        second_step_with_code(service, 1, again.session_epoch, code, ip=IP)
    fail = _audit(service, "staff:session:sign_in_fail")[-1]
    assert fail[2]["reason"] == "wrong_second_factor"


def test_wrong_codes_lock_the_account_as_wrong_passwords_do(
    service: Container, clock: Clock
) -> None:
    key, _ = _enrolled(service)
    clock.now += timedelta(minutes=5)
    accepted = sign_in(service, "ann", PASSWORD, ip=IP)
    attempts = service.settings.sign_in_lock_attempts

    with pytest.raises(AccountLocked):
        for _ in range(attempts):
            with pytest.raises(SignInRefused):
                second_step_with_code(service, 1, accepted.session_epoch, "123456", ip=IP)
    with pytest.raises(AccountLocked):  # now even the right code
        second_step_with_code(
            service, 1, accepted.session_epoch, pyotp.TOTP(key).at(clock.now), ip=IP
        )


def test_a_recovery_code_works_once(service: Container, clock: Clock) -> None:
    _, codes = _enrolled(service)
    accepted = sign_in(service, "ann", PASSWORD, ip=IP)

    first = second_step_with_recovery_code(
        service, 1, accepted.session_epoch, codes[3].upper(), ip=IP
    )
    assert first.principal.name == "ann"
    with pytest.raises(SignInRefused):
        second_step_with_recovery_code(service, 1, accepted.session_epoch, codes[3], ip=IP)

    assert overview(service, 1).recovery_codes_left == 9
    ((_, actor, details),) = _audit(service, "staff:factor:recovery_use")
    assert (actor, details) == ("user:ann", {"username": "ann", "left": 9})


def test_new_recovery_codes_void_the_old_ones(service: Container) -> None:
    _, old = _enrolled(service)
    new = replace_recovery_codes(service, 1, source=IP)
    accepted = sign_in(service, "ann", PASSWORD, ip=IP)

    with pytest.raises(SignInRefused):
        second_step_with_recovery_code(service, 1, accepted.session_epoch, old[0], ip=IP)
    assert second_step_with_recovery_code(service, 1, accepted.session_epoch, new[0], ip=IP)
    assert set(old).isdisjoint(new)


def test_the_last_factor_cannot_be_removed_but_a_second_can(
    service: Container, clock: Clock
) -> None:
    _enrolled(service)
    (only,) = overview(service, 1).factors
    with pytest.raises(Conflict, match="only second factor"):
        remove_factor(service, 1, only.id, source=IP)

    clock.now += timedelta(minutes=1)
    other = setup_totp(service, 1).key
    assert add_app(service, 1, pyotp.TOTP(other).at(clock.now), "Tablet", source=IP) == "Tablet"
    assert remove_factor(service, 1, only.id, source=IP) == "Authenticator app"
    assert [f.name for f in overview(service, 1).factors] == ["Tablet"]
    assert [a[2]["factor"] for a in _audit(service, "staff:factor:remove")] == ["Authenticator app"]


def test_an_administrators_reset_removes_everything_and_ends_the_session(
    service: Container,
) -> None:
    _enrolled(service)
    accepted = sign_in(service, "ann", PASSWORD, ip=IP)

    assert reset_second_factors(service, "ann", actor="user:root", source=IP) == 1

    assert overview(service, 1).factors == [] and overview(service, 1).recovery_codes_left == 0
    with pytest.raises(SignInExpired):  # the half-finished sign-in ended too
        second_step_with_code(service, 1, accepted.session_epoch, "123456", ip=IP)
    assert sign_in(service, "ann", PASSWORD, ip=IP).has_factor is False
    ((_, actor, details),) = _audit(service, "staff:factor:reset")
    assert actor == "user:root" and details["factors_removed"] == 1

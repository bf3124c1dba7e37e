"""Sign-in throttling by name, by name and address, and by address, on both databases."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import select

from codeservice.bootstrap import Container
from codeservice.domain.accounts import Role
from codeservice.services.staff.sign_in import AccountLocked, AddressThrottled, SignInRefused
from codeservice.storage.models import AuditRecord, SignInThrottle
from tests.integration.web.links import NOW
from tests.integration.web.staff import PASSWORD
from tests.support.clock import Clock
from tests.support.second_factor import seed_factor
from tests.support.second_factor import sign_in_fully as sign_in
from tests.support.staff import add_user, disable_user, unlock_user

WRONG = "not the password at all"


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def service(container: Container, clock: Clock) -> Container:
    settings = dataclasses.replace(container.settings, sign_in_delay_max_ms=2000)
    return Container(settings, clock=clock)


def _outcome(service: Container, name: str, password: str, ip: str) -> tuple[object, ...]:
    try:
        sign_in(service, name, password, ip=ip)
    except SignInRefused as refused:
        return ("refused", str(refused), refused.delay)
    except AccountLocked as locked:
        return ("locked", str(locked), locked.delay, locked.locked_until)
    except AddressThrottled as throttled:
        return ("throttled", str(throttled), throttled.until)
    return ("signed in",)


def test_known_unknown_and_disabled_names_get_the_same_answers_and_delays(
    service: Container, clock: Clock
) -> None:
    for name in ("ann", "bob"):
        add_user(service, name, role=Role.BMT, password=PASSWORD, actor="cli:root")
        seed_factor(service, name)
    disable_user(service, "bob", actor="cli:root")
    passwords = [WRONG] * 10 + [PASSWORD, WRONG]  # the right one while locked
    names = {"ann": "192.0.2.1", "nobody": "192.0.2.2", "bob": "192.0.2.3"}

    outcomes: dict[str, list[tuple[object, ...]]] = {name: [] for name in names}
    for step, password in enumerate(passwords):
        clock.now = NOW + timedelta(seconds=step)
        for name, ip in names.items():
            outcomes[name].append(_outcome(service, name, password, ip))
    clock.now = NOW + timedelta(minutes=16)  # the locks have run out: a fresh count
    for name, ip in names.items():
        outcomes[name].append(_outcome(service, name, WRONG, ip))

    assert outcomes["ann"] == outcomes["nobody"] == outcomes["bob"]
    delays = [o[2] for o in outcomes["ann"]]
    assert delays[:5] == [timedelta(milliseconds=ms) for ms in (125, 250, 500, 1000, 2000)]
    assert [o[0] for o in outcomes["ann"]] == ["refused"] * 9 + ["locked"] * 3 + ["refused"]
    assert outcomes["ann"][9][3] == NOW + timedelta(seconds=9, minutes=15)


def test_a_lock_from_one_address_does_not_shut_the_user_out_elsewhere(
    service: Container, clock: Clock
) -> None:
    add_user(service, "ann", role=Role.BMT, password=PASSWORD, actor="cli:root")
    seed_factor(service, "ann")
    for _ in range(10):
        with pytest.raises((SignInRefused, AccountLocked)):
            sign_in(service, "ann", WRONG, ip="203.0.113.66")

    with pytest.raises(AccountLocked):
        sign_in(service, "ann", PASSWORD, ip="203.0.113.66")
    assert sign_in(service, "ann", PASSWORD, ip="192.0.2.7").principal.name == "ann"


def test_an_address_is_refused_after_thirty_failures_before_any_password_is_checked(
    service: Container, clock: Clock
) -> None:
    add_user(service, "ann", role=Role.BMT, password=PASSWORD, actor="cli:root")
    seed_factor(service, "ann")
    for n in range(29):
        with pytest.raises(SignInRefused):
            sign_in(service, f"guess{n}", WRONG, ip="203.0.113.66")
    # a success does not wipe the address' failures on other names
    assert sign_in(service, "ann", PASSWORD, ip="203.0.113.66").principal.name == "ann"
    with pytest.raises(SignInRefused):
        sign_in(service, "guess29", WRONG, ip="203.0.113.66")

    with pytest.raises(AddressThrottled) as throttled:
        sign_in(service, "ann", PASSWORD, ip="203.0.113.66")  # right, but refused

    assert throttled.value.until == NOW + timedelta(minutes=15)
    assert sign_in(service, "ann", PASSWORD, ip="192.0.2.7").principal.name == "ann"
    with service.uow() as uow:
        refusal = uow.session.scalars(
            select(AuditRecord).where(AuditRecord.action == "staff:session:sign_in_refuse")
        ).one()
        assert refusal.source == "203.0.113.66"
        assert '"reason":"address_throttled"' in refusal.details
        assert PASSWORD not in refusal.details
        rows = uow.session.scalars(select(SignInThrottle)).all()
        for row in rows:
            assert b"guess" not in row.key_hash and b"203.0.113" not in row.key_hash
    clock.now = NOW + timedelta(minutes=15)
    assert sign_in(service, "ann", PASSWORD, ip="203.0.113.66").principal.name == "ann"


def test_rows_are_forgotten_when_their_lock_or_window_runs_out(
    service: Container, clock: Clock
) -> None:
    for _ in range(10):
        with pytest.raises((SignInRefused, AccountLocked)):
            sign_in(service, "nobody", WRONG, ip="203.0.113.66")
    with service.uow() as uow:
        assert {r.kind for r in uow.session.scalars(select(SignInThrottle))} == {
            "name",
            "pair",
            "address",
        }

    clock.now = NOW + timedelta(minutes=15)
    with pytest.raises(SignInRefused):
        sign_in(service, "someone", WRONG, ip="192.0.2.7")

    with service.uow() as uow:
        kinds = sorted(r.kind for r in uow.session.scalars(select(SignInThrottle)))
    # someone's three, and nobody's count (as an account keeps its count until a success)
    assert kinds == ["address", "name", "name", "pair"]


def test_an_administrators_unlock_clears_the_lock_from_every_address(service: Container) -> None:
    add_user(service, "ann", role=Role.BMT, password=PASSWORD, actor="cli:root")
    seed_factor(service, "ann")
    for _ in range(10):
        with pytest.raises((SignInRefused, AccountLocked)):
            sign_in(service, "ann", WRONG, ip="192.0.2.7")

    assert unlock_user(service, "ann", actor="cli:root") is True
    assert sign_in(service, "ann", PASSWORD, ip="192.0.2.7").principal.name == "ann"

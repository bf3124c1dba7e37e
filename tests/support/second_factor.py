"""Second factors for test accounts, seeded through the services (tests only).

``seed_factor`` gives an account an authenticator app (a known key, confirmed with a
code computed by pyotp, as a person would) and a set of recovery codes, and keeps both
here. ``next_code`` is what that person would type at the second step at the
service's ``now``: the app's code for a time step not yet used, else (the same step
signed in to again) one of the recovery codes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyotp

from codeservice.bootstrap import Container
from codeservice.domain.second_factors import TOTP_WINDOW, totp_step
from codeservice.services.staff.accounts import existing_user
from codeservice.services.staff.sign_in import SignedIn
from tests.support.staff import (
    add_app,
    replace_recovery_codes,
    second_step_with_code,
    second_step_with_recovery_code,
    setup_totp,
    sign_in,
)


@dataclass
class Seeded:
    key: str
    last_step: int
    recovery_codes: list[str] = field(default_factory=list)


_SEEDED: dict[tuple[str, str], Seeded] = {}


def _account(container: Container, name: str) -> tuple[str, str]:
    return (container.settings.database_url, name.strip().lower())


def user_id_of(container: Container, name: str) -> int:
    with container.read_uow() as uow:
        return existing_user(uow, name).id


def seed_factor(container: Container, name: str) -> Seeded:
    """An authenticator app and recovery codes for the account ``name``."""
    user_id = user_id_of(container, name)
    key = setup_totp(container, user_id, fresh=True).key
    now = container.now()
    add_app(container, user_id, pyotp.TOTP(key).at(now), "Test phone", source="test")
    codes = replace_recovery_codes(container, user_id, source="test")
    seeded = Seeded(key, totp_step(now), codes)
    _SEEDED[_account(container, name)] = seeded
    return seeded


def remember(container: Container, name: str, key: str, recovery_codes: list[str]) -> None:
    """An account that enrolled through the pages: its key (as the page showed it) and codes."""
    key = key.replace(" ", "")
    _SEEDED[_account(container, name)] = Seeded(
        key, totp_step(container.now()), list(recovery_codes)
    )


def app_code(key: str, container: Container) -> str:
    return pyotp.TOTP(key.replace(" ", "")).at(container.now())


def next_code(container: Container, name: str) -> tuple[str, str]:
    """("code", six digits) or ("recovery", a recovery code) for the account's next sign-in."""
    seeded = _SEEDED[_account(container, name)]
    now_step = totp_step(container.now())
    steps = [s for s in range(now_step - TOTP_WINDOW, now_step + TOTP_WINDOW + 1)]
    unused = [s for s in steps if s > seeded.last_step]
    if unused:
        seeded.last_step = unused[0]
        return "code", pyotp.TOTP(seeded.key).generate_otp(unused[0])
    return "recovery", seeded.recovery_codes.pop()


def sign_in_fully(container: Container, name: str, password: str, *, ip: str) -> SignedIn:
    """The password, then the account's next code: as ``services.staff.sign_in.sign_in``
    did before there was a second step."""
    accepted = sign_in(container, name, password, ip=ip)
    kind, code = next_code(container, name)
    finish = second_step_with_code if kind == "code" else second_step_with_recovery_code
    return finish(container, accepted.user_id, accepted.session_epoch, code, ip=ip)

"""The staff use cases called as their entry points call them — the web routes and the
CLI commands: the container's clock read once, then one transaction (or a read unit of
work for what only reads; a factory of them for what hashes a password between two),
so that tests keep saying ``add_user(container, ...)`` (the use cases themselves take
the unit of work, their collaborators and ``now``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from codeservice.bootstrap import Container
from codeservice.domain.accounts import Principal
from codeservice.services.staff import (
    account_changes,
    accounts,
    api_tokens,
    password_links,
    second_factors,
    second_step,
    sign_in_throttle,
    totp_factors,
)
from codeservice.services.staff import sign_in as signing
from codeservice.services.staff.accounts import StaffUserView
from codeservice.services.staff.api_tokens import ApiTokenView, CreatedToken
from codeservice.services.staff.second_factors import FactorsOverview
from codeservice.services.staff.second_step import Enrolled
from codeservice.services.staff.sign_in import PasswordAccepted, SignedIn
from codeservice.services.staff.totp_factors import TotpSetup

T = TypeVar("T")


def _write(container: Container, use_case: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    now = container.now()
    with container.transaction() as uow:
        return use_case(uow, container.keyring, *args, now=now, **kwargs)


def _signing_in(container: Container, use_case: Callable[..., T], *args: Any, **kw: Any) -> T:
    rules = sign_in_throttle.sign_in_rules(container.settings)
    return _write(container, use_case, rules, *args, **kw)


def _read(container: Container, use_case: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    with container.read_uow() as uow:
        return use_case(uow, *args, **kwargs)


# accounts and API tokens


def add_user(container: Container, name: str, **kwargs: Any) -> StaffUserView:
    return _write(container, accounts.add_user, name, **kwargs)


def list_users(container: Container) -> list[StaffUserView]:
    return _read(container, accounts.list_users)


def get_user(container: Container, name: str) -> StaffUserView:
    return _read(container, accounts.get_user, name)


def disable_user(container: Container, name: str, **kwargs: Any) -> None:
    _write(container, account_changes.disable_user, name, **kwargs)


def enable_user(container: Container, name: str, **kwargs: Any) -> None:
    _write(container, account_changes.enable_user, name, **kwargs)


def unlock_user(container: Container, name: str, **kwargs: Any) -> bool:
    return _write(container, account_changes.unlock_user, name, **kwargs)


def reset_password(container: Container, name: str, password: str, **kwargs: Any) -> None:
    account_changes.reset_password(
        container.uow, container.keyring, name, password, now=container.now(), **kwargs
    )


def create_token(container: Container, name: str, **kwargs: Any) -> CreatedToken:
    return _write(container, api_tokens.create_token, name, **kwargs)


def list_tokens(container: Container, **kwargs: Any) -> list[ApiTokenView]:
    return _read(container, api_tokens.list_tokens, **kwargs)


def revoke_token(container: Container, name: str, **kwargs: Any) -> None:
    _write(container, api_tokens.revoke_token, name, **kwargs)


# signing in and out


def sign_in(container: Container, username: str, password: str, *, ip: str) -> PasswordAccepted:
    return signing.sign_in(
        container.uow,
        container.keyring,
        sign_in_throttle.sign_in_rules(container.settings),
        username,
        password,
        ip=ip,
        now=container.now(),
    )


def sign_out(container: Container, user_id: int, session_epoch: int, *, ip: str) -> None:
    _write(container, signing.sign_out, user_id, session_epoch, ip=ip)


def session_principal(container: Container, user_id: int, epoch: int) -> Principal | None:
    return _read(container, signing.session_principal, user_id, epoch)


# a new account and its set-password link


def add_account(container: Container, name: str, **kwargs: Any) -> StaffUserView:
    now = container.now()
    with container.transaction() as uow:
        return password_links.add_account(uow, container.mailroom, name, now=now, **kwargs)


# second factors


def overview(container: Container, user_id: int) -> FactorsOverview:
    return _read(container, second_factors.overview, user_id)


def remove_factor(container: Container, user_id: int, factor_id: int, **kwargs: Any) -> str:
    return _write(container, second_factors.remove_factor, user_id, factor_id, **kwargs)


def replace_recovery_codes(container: Container, user_id: int, **kwargs: Any) -> list[str]:
    return _write(container, second_factors.replace_recovery_codes, user_id, **kwargs)


def reset_second_factors(container: Container, name: str, **kwargs: Any) -> int:
    return _write(container, second_factors.reset_second_factors, name, **kwargs)


def setup_totp(container: Container, user_id: int, **kwargs: Any) -> TotpSetup:
    return _write(container, totp_factors.setup_totp, user_id, **kwargs)


def add_app(container: Container, user_id: int, code: str, name: str, **kwargs: Any) -> str:
    return _write(container, second_step.add_app, user_id, code, name, **kwargs)


def second_step_with_code(
    container: Container, user_id: int, epoch: int, code: str, *, ip: str
) -> SignedIn:
    return _signing_in(container, second_step.second_step_with_code, user_id, epoch, code, ip=ip)


def second_step_with_recovery_code(
    container: Container, user_id: int, epoch: int, code: str, *, ip: str
) -> SignedIn:
    use_case = second_step.second_step_with_recovery_code
    return _signing_in(container, use_case, user_id, epoch, code, ip=ip)


def enrol_app_at_sign_in(
    container: Container, user_id: int, epoch: int, code: str, name: str, *, ip: str
) -> Enrolled:
    use_case = second_step.enrol_app_at_sign_in
    return _signing_in(container, use_case, user_id, epoch, code, name, ip=ip)


def token_principal(container: Container, presented: str) -> Principal | None:
    """A Bearer token's machine, as the API's authentication asks for it."""
    return api_tokens.token_principal(
        container.read_uow, container.uow, presented, now=container.now()
    )

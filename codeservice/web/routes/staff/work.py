"""A staff use case called as an entry point calls it: the clock read once, and one
transaction (committed when the use case returns, rolled back when it raises)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from starlette.requests import Request

from codeservice.services.staff.sign_in_throttle import sign_in_rules
from codeservice.web.dependencies import container_of

T = TypeVar("T")


def in_transaction(request: Request, use_case: Callable[..., T], /, *args: Any, **kw: Any) -> T:
    """``use_case(uow, keyring, *args, now=now, **kw)``."""
    container = container_of(request)
    now = container.now()
    with container.transaction() as uow:
        return use_case(uow, container.keyring, *args, now=now, **kw)


def signing_in(request: Request, use_case: Callable[..., T], /, *args: Any, **kw: Any) -> T:
    """``use_case(uow, keyring, rules, *args, now=now, **kw)``: a step of signing in,
    counted by the sign-in rules of the settings."""
    container = container_of(request)
    rules = sign_in_rules(container.settings)
    now = container.now()
    with container.transaction() as uow:
        return use_case(uow, container.keyring, rules, *args, now=now, **kw)

"""Staff accounts (pure): roles, usernames, the password policy, sign-in lockout, sessions.

Passwords follow the NCSC's advice — length over complexity, and a check against the
passwords attackers try first (zxcvbn's bundled lists) instead of composition rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from zxcvbn import zxcvbn

from codeservice.errors import InputError

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
_ZXCVBN_MAX_LENGTH = 72  # zxcvbn refuses longer input; a strong start is strong enough
_MIN_ZXCVBN_SCORE = 3  # "safely unguessable": about 10^8 guesses or more
_SERVICE_WORDS = ("provider", "direct", "codeservice", "access", "code")
_USERNAME_SHAPE = re.compile(r"[a-z][a-z0-9._-]{1,63}")


class Role(StrEnum):
    """What a member of staff may do; every page and API route names the roles it allows."""

    BMT = "bmt"  # the register and the cycles
    SECURITY = "security"  # incidents and reissues, the audit trail
    AGENT = "agent"  # the helpline console only
    ADMIN = "admin"  # staff accounts and API tokens

    @property
    def label(self) -> str:
        return _ROLE_LABELS[self]


_ROLE_LABELS = {
    Role.BMT: "Business Management Team",
    Role.SECURITY: "Security team",
    Role.AGENT: "Helpline agent",
    Role.ADMIN: "Administrator",
}


class WeakPassword(InputError):
    """The password does not meet the policy; the message says why."""


def parse_role(value: str) -> Role:
    try:
        return Role(value.strip().lower())
    except ValueError:
        choices = ", ".join(role.value for role in Role)
        raise InputError(f"unknown role {value!r}: choose one of {choices}") from None


def normalise_username(value: str, *, what: str = "username") -> str:
    """Usernames are lower case, so "Ann.Lee" and "ann.lee" are one account. API token
    names follow the same rules; ``what`` names the kind in the message."""
    name = value.strip().lower()
    if not _USERNAME_SHAPE.fullmatch(name):
        raise InputError(
            f"{value!r} is not a usable {what}: use 2 to 64 characters, starting with a "
            "letter a to z, made of letters a to z (no accents), digits, dots, hyphens and "
            "underscores"
        )
    return name


def could_be_username(name: str) -> bool:
    """Whether an already lower-cased, stripped name has a username's shape (so a lookup
    never sends the database a NUL or an overlong string)."""
    return bool(_USERNAME_SHAPE.fullmatch(name))


def password_problem(
    password: str, *, username: str, display_name: str | None = None
) -> str | None:
    """Why ``password`` may not be used, or ``None`` when it may."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"the password must be at least {MIN_PASSWORD_LENGTH} characters long"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"the password must be at most {MAX_PASSWORD_LENGTH} characters long"
    if username and username.lower() in password.lower():
        return "the password must not contain the username"
    hints = [username, *_SERVICE_WORDS, *(display_name or "").split()]
    estimate = zxcvbn(password[:_ZXCVBN_MAX_LENGTH], user_inputs=hints)
    warning = str(estimate["feedback"].get("warning") or "")
    if "common" in warning.lower() or estimate["score"] < _MIN_ZXCVBN_SCORE:
        reason = warning.rstrip(".").lower() if warning else "it follows a predictable pattern"
        return (
            f"the password is too easy to guess ({reason}); try three or more random words together"
        )
    return None


def check_password(password: str, *, username: str, display_name: str | None = None) -> None:
    problem = password_problem(password, username=username, display_name=display_name)
    if problem is not None:
        raise WeakPassword(problem)


# --- sign-in lockout -------------------------------------------------------------------


@dataclass(frozen=True)
class LockoutPolicy:
    """``attempts`` consecutive failures lock an account for ``lock_for``.

    Each failure before that is answered after a growing delay (doubling up to
    ``max_delay``), so guessing is slow even before the lock.
    """

    attempts: int
    lock_for: timedelta
    max_delay: timedelta = timedelta(seconds=2)


@dataclass(frozen=True)
class SignInState:
    failed_attempts: int
    locked_until: datetime | None

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until


def after_failure(state: SignInState, policy: LockoutPolicy, now: datetime) -> SignInState:
    """The state after one more wrong password; a lock that has run out starts a fresh count."""
    lock_ran_out = state.locked_until is not None and state.locked_until <= now
    count = (0 if lock_ran_out else state.failed_attempts) + 1
    if count >= policy.attempts:
        return SignInState(failed_attempts=count, locked_until=now + policy.lock_for)
    return SignInState(failed_attempts=count, locked_until=None)


def after_success() -> SignInState:
    return SignInState(failed_attempts=0, locked_until=None)


def failure_delay(failed_attempts: int, policy: LockoutPolicy) -> timedelta:
    """How long to wait before answering the ``failed_attempts``-th consecutive failure."""
    if failed_attempts <= 0:
        return timedelta(0)
    doublings: int = min(failed_attempts - 1, 8)
    growing: timedelta = policy.max_delay * 2**doublings / 16
    return min(growing, policy.max_delay)


# --- who is asking, and for how long a session lasts -------------------------------------


@dataclass(frozen=True)
class Principal:
    """A signed-in member of staff or a machine holding an API token."""

    kind: Literal["user", "token"]
    name: str
    role: Role
    display_name: str | None = None

    @property
    def actor(self) -> str:
        """How the audit trail names them: ``user:<name>`` or ``token:<name>``."""
        return f"{self.kind}:{self.name}"

    @property
    def shown_name(self) -> str:
        return self.display_name or self.name


@dataclass(frozen=True)
class SessionPolicy:
    """A session ends after ``idle`` without a request, and ``longest`` after sign-in."""

    idle: timedelta
    longest: timedelta

    def is_current(self, *, started_at: datetime, last_seen_at: datetime, now: datetime) -> bool:
        if last_seen_at > now + timedelta(minutes=1) or started_at > last_seen_at:
            return False  # from the future: not something this service signed
        return now - last_seen_at < self.idle and now - started_at < self.longest

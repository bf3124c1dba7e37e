"""Errors a person can act on.

Every exception the CLI or the web shows to a user derives from ``CodeserviceError``;
its message is written for a BMT operator and never holds a secret.
"""

from __future__ import annotations


class CodeserviceError(Exception):
    """An error with a message meant for the person running the service."""

    exit_code = 1


class ConfigurationError(CodeserviceError):
    """A setting is missing or has a bad value; the message names the setting."""

    exit_code = 78  # EX_CONFIG


class InputError(CodeserviceError):
    """Input from a person (a file, a form, an argument) is wrong; nothing was changed.

    ``field`` names the value at fault in the words of the use case (``reason``,
    ``display_name``), so that a form can put the message on its field and the CLI
    can name the option that carried it.
    """

    exit_code = 65  # EX_DATAERR

    def __init__(
        self, message: str, problems: list[str] | None = None, *, field: str | None = None
    ) -> None:
        super().__init__(message)
        self.problems = problems or []
        self.field = field


class NotFound(CodeserviceError):
    exit_code = 66


class Conflict(CodeserviceError):
    """The request clashes with the current state (e.g. a cycle already issued)."""

    exit_code = 75

"""The last word on errors that are not the service's own: one line, what to do."""

from __future__ import annotations

import errno

from codeservice.cli.common import unexpected_error


def test_permission_denied_names_the_file_and_what_to_do() -> None:
    message, code = unexpected_error(
        PermissionError(errno.EACCES, "Permission denied", "/srv/codeservice/var/codeservice.db")
    )
    assert message == (
        "permission denied: /srv/codeservice/var/codeservice.db; run the command as the "
        "service's user, or give that user access"
    )
    assert code == 77


def test_another_os_error_says_what_and_where() -> None:
    message, code = unexpected_error(OSError(errno.ENOSPC, "No space left on device", "/srv"))
    assert (message, code) == ("No space left on device: /srv", 74)


def test_anything_else_keeps_its_message_out_of_the_terminal() -> None:
    message, code = unexpected_error(ValueError("sealed value 9f8e7d… did not open"))
    assert "9f8e7d" not in message and "\n" not in message
    assert message.startswith("the command failed unexpectedly (ValueError)")
    assert "CODESERVICE_LOG_LEVEL=DEBUG" in message
    assert code == 70

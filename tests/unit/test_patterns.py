"""Shape checks take the whole value, a line end included.

In Python's ``re``, ``$`` also matches just before a final line end, so
``re.compile(r"^[0-9a-f]{32}$").match(key + "\\n")`` passes: a notice key, a cycle, an
email address or a token with a line end after it passed its check and went on as a
different value (a second notice for one preview, ``a@example.org\\n`` as an address).
Every pattern is written without anchors and used with ``fullmatch``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from codeservice.domain.accounts import could_be_username
from codeservice.domain.codes import check_cycle
from codeservice.domain.email_address import normalise_email
from codeservice.domain.notices import check_notice_key
from codeservice.domain.register import REF_PATTERN
from codeservice.domain.tokens import issue_token, looks_like_token
from codeservice.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("codeservice", "mailer", "scheduler")


def _compiled_patterns() -> list[tuple[str, int, str]]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in {"compile", "match", "fullmatch", "search"}
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "re"
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                ):
                    found.append((str(path.relative_to(ROOT)), node.lineno, node.args[0].value))
    return found


def test_the_scan_finds_the_patterns() -> None:
    assert len(_compiled_patterns()) > 10


def test_no_pattern_ends_in_a_dollar_that_lets_a_line_end_through() -> None:
    anchored = [
        f"{path}:{line}: {pattern!r}"
        for path, line, pattern in _compiled_patterns()
        if pattern.endswith("$") and not pattern.endswith("\\$")
    ]
    assert not anchored, "write it without ^ and $ and use fullmatch:\n" + "\n".join(anchored)


@pytest.mark.parametrize("end", ["\n", "\r\n", "\r", "\x00", " "])
def test_a_value_with_something_after_it_is_refused(end: str) -> None:
    token = issue_token().token
    assert normalise_email("priya@example.org" + end) is None
    assert not looks_like_token(token + end)
    assert not REF_PATTERN.fullmatch("PRV001" + end)
    assert not could_be_username("ann.lee" + end)
    with pytest.raises(InputError):
        check_cycle("2027-04" + end)
    with pytest.raises(InputError):
        check_notice_key("0" * 32 + end)

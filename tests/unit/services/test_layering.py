"""Use cases ask the repositories: none holds a database session or writes a query.

import-linter (``make lint``) forbids SQLAlchemy and the driver in ``codeservice.services``;
this catches what an import check cannot: a session reached through the unit of work.
"""

from __future__ import annotations

import re
from pathlib import Path

import codeservice.services

SERVICES = Path(codeservice.services.__file__).parent
SESSION = re.compile(r"\.session\b")


def test_no_use_case_reaches_for_a_session() -> None:
    found = [
        f"{path.relative_to(SERVICES)}:{number}: {line.strip()}"
        for path in sorted(SERVICES.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if SESSION.search(line)
    ]
    assert found == [], "ask a repository instead:\n" + "\n".join(found)


def test_the_check_sees_the_use_cases() -> None:
    assert len(list(SERVICES.rglob("*.py"))) > 30

"""Counted words: '1 unlock code', '2 unlock codes' — and nowhere 'code(s)'."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from codeservice.domain.wording import noun, plural

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    ("count", "singular", "irregular", "expected"),
    [
        (0, "unlock code", None, "0 unlock codes"),
        (1, "unlock code", None, "1 unlock code"),
        (2, "unlock code", None, "2 unlock codes"),
        (1, "key", None, "1 key"),
        (30, "key", None, "30 keys"),
        (1, "SPoC has", "SPoCs have", "1 SPoC has"),
        (8, "SPoC has", "SPoCs have", "8 SPoCs have"),
    ],
)
def test_a_count_takes_the_singular_only_for_one(
    count: int, singular: str, irregular: str | None, expected: str
) -> None:
    assert plural(count, singular, irregular) == expected
    assert noun(count, singular, irregular) == expected.split(" ", 1)[1]


# Lines that merely look like it: a generator over ``s``.
_NOT_WORDING = re.compile(r"\(s\).*\bfor s in\b")


# Messages in modules that the rotation and status work rewrites; its own change puts
# them through ``plural`` (remove each from here once it has).
def test_no_message_template_or_log_says_code_s() -> None:
    found = []
    for folder in ("codeservice", "mailer", "scheduler"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix not in {".py", ".html", ".txt"} or not path.is_file():
                continue
            relative = path.relative_to(ROOT).as_posix()
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if re.search(r"[A-Za-z]\((s|es)\)", line) and not _NOT_WORDING.search(line):
                    found.append(f"{relative}:{number}: {line.strip()}")
    assert found == []


def test_actors_are_named_for_people() -> None:
    from codeservice.domain.wording import actor_text

    names = {"user:sam.sec": "Sam Okafor", "spoc:7": "Ann Lee (ann@example.org), SPoC"}
    assert actor_text("user:sam.sec", names) == "Sam Okafor"
    assert actor_text("user:kim.sec", names) == "kim.sec"
    assert actor_text("spoc:7", names) == "Ann Lee (ann@example.org), SPoC"
    assert actor_text("spoc:8", names) == "a SPoC no longer on the register"
    assert actor_text("cli:root") == "root (command line)"
    assert actor_text("token:helpline-crm") == "API token helpline-crm"
    assert actor_text("system:scheduler") == "the service (scheduler)"
    assert actor_text("system") == "the service"
    assert actor_text("anonymous") == "anonymous"

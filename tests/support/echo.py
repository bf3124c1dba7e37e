"""Was something a caller said echoed back? A check that does not cry wolf.

A caller's answer is three random characters, so now and then it is an ordinary word
("src", "for", "Ltd") that a page, a log line or an audit record holds for reasons of
its own. A word the service could write without being told it — any word in its own
source, its templates or the GOV.UK Frontend macros it renders — is no evidence of an
echo, so such a word is not looked for; the whole 8-character code always is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import govuk_frontend_jinja

import codeservice

_WORD = re.compile(r"[A-Za-z0-9]+")
_SOURCES = ("*.py", "*.html", "*.txt", "*.toml", "*.js", "*.css")


def words(texts: Iterable[str]) -> set[str]:
    return {word for text in texts for word in _WORD.findall(text)}


@cache
def service_vocabulary() -> frozenset[str]:
    """Every word in the service's own code and templates, and in the macros it renders."""
    roots = (
        Path(codeservice.__file__).parent,
        Path(govuk_frontend_jinja.__file__).parent,
    )
    texts = (
        path.read_text(encoding="utf-8", errors="replace")
        for root in roots
        for pattern in _SOURCES
        for path in root.rglob(pattern)
    )
    return frozenset(words(texts))


def echoed(given: str, text: str, *, known: Iterable[str] = ()) -> bool:
    """Whether ``given`` stands in ``text`` as a word of its own, not one it could hold anyway.

    ``known`` adds words the text held before ``given`` was said (the page an agent
    typed into, the register the test imported).
    """
    if given in service_vocabulary() or given in set(known):
        return False
    return re.search(rf"(?<![A-Za-z0-9]){re.escape(given)}(?![A-Za-z0-9])", text) is not None

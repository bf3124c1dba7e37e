"""What every page of ours must be: no inline script, style or event handler (the
Content-Security-Policy would refuse them)."""

from __future__ import annotations

import re


def assert_no_inline_code(html: str) -> None:
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts, "the page loads no script at all"
    assert all(" src=" in tag for tag in scripts), scripts
    assert not re.search(r"<script\b[^>]*>\s*[^<\s]", html), "a script element has inline code"
    assert " style=" not in html
    assert "<style" not in html
    assert not re.search(r"\son[a-z]+=", html), "an inline event handler"

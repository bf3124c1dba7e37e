"""Templates build their markup in the template, where autoescape applies to every value."""

from __future__ import annotations

import re

from codeservice.web.templating import TEMPLATES, make_environment

# A component's 'html' given as a string literal joined to values: the values would go
# in unescaped, or (if escaped) the literal's tags would show as text.
_JOINED_HTML = re.compile(r"""'html':\s*'[^']*<[^']*'\s*~|'html':\s*[^,}]*~\s*'[^']*<""")


def test_no_template_joins_strings_into_html() -> None:
    offenders = [
        f"{path.relative_to(TEMPLATES)}:{number}"
        for path in TEMPLATES.rglob("*.html")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if _JOINED_HTML.search(line)
    ]
    assert offenders == []


def test_no_template_marks_values_safe() -> None:
    offenders = [
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        if re.search(r"\|\s*safe\b", path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_the_report_panel_escapes_the_reference_and_keeps_its_markup() -> None:
    template = make_environment().get_template("incidents/report_sent.html")
    html = template.render(
        report={"reference": "<b>INC</b>", "provider_name": "A & B"},
        security_mailbox="security@example.org",
    )
    assert "Your reference is<br><strong>&lt;b&gt;INC&lt;/b&gt;</strong>" in html
    assert "A &amp; B" in html

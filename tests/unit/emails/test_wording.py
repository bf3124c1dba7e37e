"""Emails count in words that agree with the number."""

from __future__ import annotations

from codeservice.emails import render


def _locked(fails: int) -> str:
    rendered = render(
        "helpline_locked",
        {
            "provider_name": "Northfield Ltd",
            "provider_ref": "PRV001",
            "locked_at": "Monday 5 April 2027 at 10:00",
            "day": "Monday 5 April 2027",
            "fails": fails,
            "attempts": [],
        },
    )
    return rendered.subject + "\n" + rendered.text + "\n" + rendered.html


def test_the_helpline_lock_email_counts_one_failed_check_as_one() -> None:
    one = _locked(1)
    assert "after 1 failed check" in one and "1 failed checks" not in one
    assert "after 1 failed access code security check today" in one
    three = _locked(3)
    assert "after 3 failed checks" in three
    assert "after 3 failed access code security checks today" in three

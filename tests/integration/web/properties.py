"""What the form property tests share: values to type, and what a refusal may change.

Every value a form can be sent: arbitrary Unicode, control characters, line breaks,
bidi controls, empty, and huge (past the form field limit, for the 413 page).
"""

from __future__ import annotations

from collections import Counter

from httpx import Response
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

import mailer.schema
from codeservice.bootstrap import Container
from codeservice.storage.base import metadata as app_metadata
from codeservice.storage.models import AuditRecord

# One world per test, reused by every example: examples must not expect a fresh one.
FORMS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

_AWKWARD = st.characters(
    categories=["Cc", "Cf", "Zl", "Zp", "Co", "Cn"], exclude_characters="\r"
) | st.sampled_from("\x00\x1b\x7f\x85\u2028\u202e\u2066\ufeff\ufffe\U0010ffff\t\n")


def free_text() -> st.SearchStrategy[str]:
    """Anything a person, a browser or a script could put in a field."""
    return st.one_of(
        st.just(""),
        st.text(max_size=60),
        st.text(_AWKWARD, min_size=1, max_size=10),
        st.builds(
            lambda head, bad, tail: head + bad + tail,
            st.text(max_size=20),
            _AWKWARD,
            st.text(max_size=20),
        ),
        st.builds(lambda ch, n: ch * n, st.characters(codec="utf-8"), st.integers(3000, 12_000)),
    )


def counts(container: Container) -> Counter[str]:
    """Rows in every table, and audit records by action."""
    tables = [*app_metadata.sorted_tables, *mailer.schema.metadata.sorted_tables]
    with container.uow() as uow:
        session = uow.session
        found: Counter[str] = Counter(
            {t.name: session.scalar(select(func.count()).select_from(t)) or 0 for t in tables}
        )
        actions = session.execute(
            select(AuditRecord.action, func.count()).group_by(AuditRecord.action)
        )
        found.update({f"audit:{action}": number for action, number in actions})
    return found


def assert_handled(
    response: Response,
    before: Counter[str],
    after: Counter[str],
    *,
    audited: frozenset[str] = frozenset(),
) -> None:
    """Never a 5xx or a traceback; a refusal (4xx) changes nothing, except that it may
    add audit records of the ``audited`` actions (a refusal that is kept on record)."""
    event(f"{response.request.method} status {response.status_code}")
    assert response.status_code < 500, response.text[:2000]
    assert "Traceback" not in response.text
    if 400 <= response.status_code < 500:
        changed = {key for key in before.keys() | after.keys() if before[key] != after[key]}
        allowed = {f"audit:{action}" for action in audited}
        if changed & allowed:
            allowed.add(AuditRecord.__tablename__)
        assert changed <= allowed, (response.status_code, sorted(changed))

"""Two rotations of one cycle at once — the scheduler's and one started by hand — give
every provider one code and every SPoC one email 1, and neither fails."""

from __future__ import annotations

import threading
from collections import Counter

from codeservice.bootstrap import Container
from codeservice.services.distribution.rotation import RotationReport, rotate
from codeservice.storage.models import AccessCode
from tests.integration.web.links import outbox_rows
from tests.support.clock import Clock
from tests.support.dashboard import APRIL, ISSUE_DAY, import_example_register


def test_two_rotations_at_once_issue_each_code_once(container: Container) -> None:
    both = [Container(container.settings, clock=Clock(ISSUE_DAY)) for _ in range(2)]
    import_example_register(both[0])
    reports: list[RotationReport] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def run(app: Container, actor: str) -> None:
        start.wait()
        try:
            reports.append(
                rotate(app.press, APRIL, now=app.now(), actor=actor, source="test", workers=1)
            )
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(app, f"test:{n}")) for n, app in enumerate(both)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    try:
        assert errors == []
        assert len(reports) == 2
        with both[0].uow() as uow:
            codes = [c.state for c in uow.session.query(AccessCode).filter_by(cycle=str(APRIL))]
        assert codes == ["issued"] * 8
        assert sum(report.issued for report in reports) == 8
        documents = Counter(
            to for _, to, kind in outbox_rows(both[0]) if kind == "access-code-document"
        )
        assert len(documents) == 15 and set(documents.values()) == {1}
    finally:
        for app in both:
            app.close()

"""A notice to every SPoC (§56) confirmed twice at the same moment goes out once."""

from __future__ import annotations

import threading

from codeservice.bootstrap import Container
from codeservice.services.distribution.notices import SentNotice, preview_notice, send_notice
from tests.integration.web.links import outbox_rows
from tests.integration.web.staff import audit_actions
from tests.support.dashboard import import_example_register

SUBJECT = "Provider Direct cannot take calls"
TEXT = "The telephone system has failed; we expect it back by 2pm."


def test_two_confirmations_at_the_same_moment_send_once(container: Container) -> None:
    import_example_register(container)
    with container.read_uow() as uow:
        preview = preview_notice(uow, subject=SUBJECT, text=TEXT)
    start = threading.Barrier(2)
    results: list[SentNotice] = []

    def confirm() -> None:
        start.wait()
        now = container.now()
        with container.transaction() as uow:
            sent = send_notice(
                uow,
                container.postbox,
                container.keyring,
                key=preview.key,
                subject=SUBJECT,
                text=TEXT,
                actor="test",
                source="t",
                now=now,
            )
        results.append(sent)

    runs = [threading.Thread(target=confirm) for _ in range(2)]
    for thread in runs:
        thread.start()
    for thread in runs:
        thread.join(timeout=120)

    assert sorted(r.new for r in results) == [False, True]
    assert len({r.notice_id for r in results}) == 1
    assert sorted(r.queued for r in results) == [0, preview.audience] == [0, 15]
    assert len([row for row in outbox_rows(container) if row[2] == "notice"]) == 15
    assert len(audit_actions(container, "mail:notice")) == 1

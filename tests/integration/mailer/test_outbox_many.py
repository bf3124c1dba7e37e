"""``enqueue_many``: a batch of messages in one INSERT, with ``enqueue``'s rules."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from mailer import outbox
from mailer.outbox_many import Queued, enqueue_many
from mailer.schema import outbox as outbox_table
from tests.integration.mailer.support import AesGcmSealer, entry, message, queue
from tests.support.clock import Clock

Sessions = sessionmaker[Session]


def test_a_batch_is_queued_in_order_and_a_key_already_queued_keeps_its_row(
    sessions: Sessions, sealer: AesGcmSealer, clock: Clock
) -> None:
    earlier = queue(sessions, sealer, clock(), "doc:2")
    items = [
        Queued(message(to=f"spoc{n}@provider.example.org"), f"doc:{n}", "document")
        for n in (1, 2, 3)
    ]
    items[0].message["Bcc"] = "audit@bmt.example.gov.uk"
    with sessions.begin() as session:
        ids = enqueue_many(session, items, now=clock(), sealer=sealer)
    assert ids[1] == earlier and len(set(ids)) == 3

    first = entry(sessions, ids[0])
    assert first.state == "queued" and first.category == "document"
    assert first.recipients == ("spoc1@provider.example.org", "audit@bmt.example.gov.uk")
    assert first.due_at == clock() and first.created_at == clock()
    opened = outbox.open_message(first, sealer)
    assert opened["Message-ID"] == first.message_id == items[0].message["Message-ID"]
    assert opened["Bcc"] is None
    assert entry(sessions, ids[2]).recipients == ("spoc3@provider.example.org",)

    with sessions.begin() as session:  # a rerun queues nothing again
        assert enqueue_many(session, items, now=clock(), sealer=sealer) == ids
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(outbox_table)) == 3

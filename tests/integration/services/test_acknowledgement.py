from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from codeservice.bootstrap import Container
from codeservice.services.distribution.acknowledgement import (
    AcknowledgementResult,
    LinkExpired,
    LinkNotFound,
    LinkProblem,
    LinkReplaced,
    acknowledge,
    load_acknowledgement,
)
from codeservice.storage.models import LinkToken
from tests.integration.web.links import NOW, change, make_ack_link, outbox_rows, snapshot
from tests.support.reading import read


def test_loading_describes_the_link_and_writes_nothing(container: Container) -> None:
    link = make_ack_link(container)
    before = snapshot(container)

    view = read(container, load_acknowledgement, link.token, now=NOW)

    assert (view.provider_ref, view.provider_name, view.cycle, view.cycle_label) == (
        "PRV001",
        "Northfield Ltd",
        "2027-04",
        "April 2027",
    )
    assert (view.spoc_name, view.spoc_email, view.delivery_id) == (
        "Ann Lee",
        "ann.lee@example.org",
        link.delivery_id,
    )
    assert view.acknowledged_at is None
    assert snapshot(container) == before


def test_unusable_links_raise_errors_with_a_status(container: Container) -> None:
    link = make_ack_link(container, expires_at=NOW + timedelta(days=1))

    with pytest.raises(LinkNotFound) as unknown:
        read(container, load_acknowledgement, "Z" * 43, now=NOW)
    with pytest.raises(LinkExpired) as expired:
        read(container, load_acknowledgement, link.token, now=NOW + timedelta(days=1))
    change(container, LinkToken, link.link_id, replaced_at=NOW, replaced_reason="reissued")
    with pytest.raises(LinkReplaced) as replaced:
        read(container, load_acknowledgement, link.token, now=NOW)

    assert unknown.value.status_code == 404
    assert expired.value.status_code == 410
    assert replaced.value.status_code == 410
    assert replaced.value.replaced_reason == "reissued"
    assert link.token not in str(replaced.value)


def test_two_confirmations_at_once_acknowledge_once(container: Container) -> None:
    link = make_ack_link(container)
    start = threading.Barrier(2)
    results: list[AcknowledgementResult] = []
    errors: list[BaseException] = []

    def press_the_button() -> None:
        start.wait()
        try:
            with container.transaction() as uow:
                results.append(
                    acknowledge(
                        uow,
                        container.mailroom,
                        link.token,
                        ip="192.0.2.1",
                        user_agent="ua",
                        now=NOW,
                    )
                )
        except BaseException as exc:  # reported below, on the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=press_the_button) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert sorted(r.already for r in results) == [False, True]
    assert len(outbox_rows(container)) == 1
    actions = [row[1] for row in snapshot(container)["audit"]]
    assert actions.count("spoc:receipt:acknowledge") == 1
    assert actions.count("spoc:receipt:repeat") == 1


def test_a_rejected_link_is_audited_without_the_token(container: Container) -> None:
    link = make_ack_link(container, expires_at=NOW)

    with pytest.raises(LinkProblem), container.transaction() as uow:
        acknowledge(uow, container.mailroom, link.token, ip="192.0.2.9", user_agent="ua", now=NOW)

    [reject] = [row for row in snapshot(container)["audit"] if row[1] == "spoc:token:reject"]
    assert reject[2] == f"spoc:{link.spoc_id}"
    assert link.token not in reject[3]
    assert outbox_rows(container) == []

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from codeservice.bootstrap import Container
from codeservice.storage.models import AccessCode, AuditRecord, Delivery, LinkToken, Spoc
from tests.integration.web.links import (
    NOW,
    change,
    csrf_field,
    csrf_for,
    make_ack_link,
    open_and_confirm,
    outbox_rows,
    snapshot,
)
from tests.support.clock import Clock


@dataclass(frozen=True)
class Audited:
    action: str
    actor: str
    source: str
    details: str


def _audit(container: Container) -> list[Audited]:
    with container.uow() as uow:
        records = uow.session.scalars(select(AuditRecord).order_by(AuditRecord.seq))
        return [Audited(r.action, r.actor, r.source, r.details) for r in records]


@dataclass(frozen=True)
class Acknowledgement:
    at: datetime | None
    ip: str | None
    user_agent: str | None
    unlock_message_id: int | None


def _acknowledgement(container: Container, delivery_id: int) -> Acknowledgement:
    with container.uow() as uow:
        delivery = uow.session.get(Delivery, delivery_id)
        assert delivery is not None
        return Acknowledgement(
            at=delivery.acknowledged_at,
            ip=delivery.acknowledged_ip,
            user_agent=delivery.acknowledged_user_agent,
            unlock_message_id=delivery.unlock_message_id,
        )


def test_the_page_says_who_and_what_is_being_acknowledged(
    web_container: Container, client: TestClient
) -> None:
    link = make_ack_link(web_container)

    page = client.get(link.path)

    assert page.status_code == 200
    body = " ".join(page.text.split())
    assert (
        "Confirm you have received the access code document for "
        "<strong>Northfield Ltd</strong>, cycle April 2027, sent to Ann Lee (ann.lee@example.org)."
    ) in body
    assert "Confirm receipt" in body
    assert "we will email the unlock code" in body
    assert "Monday 5 April 2027 at 00:00" in body  # shown in Europe/London


def test_opening_the_link_changes_nothing(web_container: Container, client: TestClient) -> None:
    link = make_ack_link(web_container)
    before = snapshot(web_container)

    for _ in range(3):  # a mail scanner, a preview, the SPoC
        assert client.get(link.path).status_code == 200
        assert client.head(link.path).status_code == 200

    assert snapshot(web_container) == before


def test_confirming_records_the_acknowledgement_and_queues_one_unlock_email(
    web_container: Container, client: TestClient
) -> None:
    link = make_ack_link(web_container)
    other = make_ack_link(web_container, spoc_name="Bob Ray", spoc_email="bob.ray@example.org")

    response = open_and_confirm(client, link.path, **{"User-Agent": "Firefox/140"})

    assert response.status_code == 200
    body = " ".join(response.text.split())
    assert "Receipt confirmed" in body
    assert (
        "We have emailed the unlock code to ann.lee@example.org. It may take a few minutes." in body
    )
    acknowledgement = _acknowledgement(web_container, link.delivery_id)
    assert acknowledgement.at == NOW
    assert acknowledgement.ip == "testclient"
    assert acknowledgement.user_agent == "Firefox/140"
    outbox = outbox_rows(web_container)
    assert [(recipient, category) for _, recipient, category in outbox] == [
        ("ann.lee@example.org", "unlock-code")
    ]
    assert acknowledgement.unlock_message_id == outbox[0][0]
    assert _acknowledgement(web_container, other.delivery_id).at is None
    [record] = [r for r in _audit(web_container) if r.action == "spoc:receipt:acknowledge"]
    assert record.actor == f"spoc:{link.spoc_id}"
    assert record.source == "testclient"
    assert json.loads(record.details) == {
        "provider_ref": "PRV001",
        "cycle": "2027-04",
        "delivery_id": link.delivery_id,
    }


def test_confirming_again_says_so_and_sends_nothing_more(
    web_container: Container, client: TestClient, clock: Clock
) -> None:
    link = make_ack_link(web_container)
    field = csrf_field(client.get(link.path).text)  # e.g. the page left open in two tabs
    first = client.post(link.path, data={"csrf_token": field})
    assert first.status_code == 200
    outbox_after_first = outbox_rows(web_container)
    clock.now = NOW + timedelta(hours=2)

    again = client.post(link.path, data={"csrf_token": field})

    assert again.status_code == 200
    body = " ".join(again.text.split())
    assert "You have already confirmed receipt on Thursday 1 April 2027 at 10:30" in body
    assert "Confirm receipt" not in body
    assert outbox_rows(web_container) == outbox_after_first
    assert _acknowledgement(web_container, link.delivery_id).at == NOW
    actions = [r.action for r in _audit(web_container)]
    assert actions.count("spoc:receipt:acknowledge") == 1
    assert actions.count("spoc:receipt:repeat") == 1


def test_a_confirmed_link_opens_on_the_already_confirmed_page(
    web_container: Container, client: TestClient
) -> None:
    link = make_ack_link(web_container)
    open_and_confirm(client, link.path)
    before = snapshot(web_container)

    page = client.get(link.path)

    assert page.status_code == 200
    assert "You have already confirmed receipt" in page.text
    assert 'name="csrf_token"' not in page.text
    assert snapshot(web_container) == before


def test_a_post_without_the_csrf_field_changes_nothing(
    web_container: Container, client: TestClient
) -> None:
    link = make_ack_link(web_container)
    client.get(link.path)  # the cookie is set, but the form field is missing
    before = snapshot(web_container)

    response = client.post(link.path, data={})

    assert response.status_code == 400
    assert "Your session expired" in response.text
    assert "go back and try again" in response.text.lower()
    assert snapshot(web_container) == before


def test_a_post_with_a_forged_or_borrowed_csrf_field_changes_nothing(
    web_container: Container, client: TestClient, app: object
) -> None:
    link = make_ack_link(web_container)
    field = csrf_field(client.get(link.path).text)
    before = snapshot(web_container)

    tampered = client.post(link.path, data={"csrf_token": field[:-2] + "xx"})
    client.cookies.clear()  # the field of another browser, without its cookie
    borrowed = client.post(link.path, data={"csrf_token": field})
    stranger = TestClient(app, base_url="http://127.0.0.1:8000")  # type: ignore[arg-type]
    stranger.get(link.path)  # has a cookie of its own, which the field does not match
    mismatched = stranger.post(link.path, data={"csrf_token": field})

    assert [tampered.status_code, borrowed.status_code, mismatched.status_code] == [400] * 3
    assert snapshot(web_container) == before


def test_a_cross_site_post_is_refused(web_container: Container, client: TestClient) -> None:
    link = make_ack_link(web_container)
    field = csrf_field(client.get(link.path).text)
    before = snapshot(web_container)

    from_elsewhere = client.post(
        link.path, data={"csrf_token": field}, headers={"Origin": "https://evil.example"}
    )
    fetch_metadata = client.post(
        link.path, data={"csrf_token": field}, headers={"Sec-Fetch-Site": "cross-site"}
    )

    assert from_elsewhere.status_code == 403
    assert fetch_metadata.status_code == 403
    assert snapshot(web_container) == before
    same_origin = client.post(
        link.path,
        data={"csrf_token": field},
        headers={"Origin": "http://127.0.0.1:8000", "Sec-Fetch-Site": "same-origin"},
    )
    assert same_origin.status_code == 200
    assert "Receipt confirmed" in same_origin.text


def _post_with_csrf(client: TestClient, path: str, csrf_page: str) -> object:
    """POST to ``path`` with a valid CSRF field for it (the cookie from another page)."""
    client.get(csrf_page)
    return client.post(path, data={"csrf_token": csrf_for(client, path)})


def test_unknown_and_malformed_links_are_not_valid(
    web_container: Container, client: TestClient
) -> None:
    link = make_ack_link(web_container)
    unknown = "A" * 43
    before = snapshot(web_container)

    for path in (f"/ack/{unknown}", "/ack/not-a-token", f"/ack/{link.token[:-1]}"):
        page = client.get(path)
        assert page.status_code == 404
        assert "This link is not valid" in page.text
    assert snapshot(web_container) == before

    posted = _post_with_csrf(client, f"/ack/{unknown}", link.path)

    assert posted.status_code == 404  # type: ignore[attr-defined]
    after = snapshot(web_container)
    assert {k: v for k, v in after.items() if k != "audit"} == {
        k: v for k, v in before.items() if k != "audit"
    }
    [reject] = [r for r in _audit(web_container) if r.action == "spoc:token:reject"]
    assert reject.actor == "anonymous"
    assert json.loads(reject.details) == {"reason": "unknown", "delivery_id": None}
    assert unknown not in reject.details


def test_an_expired_link_has_expired(
    web_container: Container, client: TestClient, clock: Clock
) -> None:
    link = make_ack_link(web_container, expires_at=NOW + timedelta(days=1))
    field = csrf_field(client.get(link.path).text)
    clock.now = NOW + timedelta(days=1)
    before = snapshot(web_container)

    page = client.get(link.path)
    posted = client.post(link.path, data={"csrf_token": field})

    assert page.status_code == 410
    assert "This link has expired" in page.text
    assert "Business Management Team" in page.text
    assert posted.status_code == 410
    assert _acknowledgement(web_container, link.delivery_id).at is None
    assert snapshot(web_container)["outbox"] == before["outbox"]
    [reject] = [r for r in _audit(web_container) if r.action == "spoc:token:reject"]
    assert json.loads(reject.details) == {"reason": "expired", "delivery_id": link.delivery_id}
    assert reject.actor == f"spoc:{link.spoc_id}"
    assert link.token not in reject.details


def test_a_resent_link_has_been_replaced(web_container: Container, client: TestClient) -> None:
    link = make_ack_link(web_container)
    field = csrf_field(client.get(link.path).text)
    change(web_container, LinkToken, link.link_id, replaced_at=NOW, replaced_reason="resent")
    before = snapshot(web_container)

    page = client.get(link.path)

    assert page.status_code == 410
    assert "This link has been replaced" in page.text
    assert "Use the link in the newest email" in page.text
    assert "security" not in page.text
    assert snapshot(web_container) == before
    posted = client.post(link.path, data={"csrf_token": field})
    assert posted.status_code == 410
    assert _acknowledgement(web_container, link.delivery_id).at is None
    assert outbox_rows(web_container) == []


def test_a_reissued_link_says_the_code_was_replaced_for_security(
    web_container: Container, client: TestClient
) -> None:
    link = make_ack_link(web_container)
    change(web_container, LinkToken, link.link_id, replaced_at=NOW, replaced_reason="reissued")

    page = client.get(link.path)

    assert page.status_code == 410
    assert "This link has been replaced" in page.text
    assert "replaced for security reasons" in page.text


def test_a_link_to_a_revoked_or_retired_code_no_longer_works(
    web_container: Container, client: TestClient
) -> None:
    link = make_ack_link(web_container)
    field = csrf_field(client.get(link.path).text)
    change(web_container, AccessCode, link.access_code_id, state="revoked", revoked_at=NOW)
    before = snapshot(web_container)

    revoked = client.get(link.path)
    posted = client.post(link.path, data={"csrf_token": field})

    assert revoked.status_code == 410
    assert "replaced for security reasons" in revoked.text
    assert posted.status_code == 410
    after = snapshot(web_container)
    assert after["deliveries"] == before["deliveries"]
    assert after["outbox"] == before["outbox"] == []

    change(web_container, AccessCode, link.access_code_id, state="retired", revoked_at=None)
    retired = client.get(link.path)
    assert retired.status_code == 410
    assert "This link has expired" in retired.text
    assert "no longer in use" in retired.text


def test_a_link_sent_to_a_spoc_since_taken_off_the_register_no_longer_works(
    web_container: Container, client: TestClient
) -> None:
    link = make_ack_link(web_container)
    field = csrf_field(client.get(link.path).text)
    change(web_container, Spoc, link.spoc_id, active=False)

    page = client.get(link.path)
    posted = client.post(link.path, data={"csrf_token": field})

    assert page.status_code == 410
    assert "This link is no longer active" in page.text
    assert posted.status_code == 410
    assert outbox_rows(web_container) == []

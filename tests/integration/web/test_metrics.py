"""GET /metrics: each family after what it counts, read with prometheus-client's parser."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from codeservice.bootstrap import Container
from codeservice.domain.accounts import Role
from codeservice.domain.calendar import Cycle
from codeservice.services.distribution.rotation import rotate
from codeservice.web import create_app
from mailer import dispatcher
from mailer.capture import captured, capturing
from scheduler.metrics import SchedulerCollector
from tests.integration.web.helpline_world import HelplineWorld, chars, wrong
from tests.integration.web.links import open_and_confirm
from tests.integration.web.staff import make_staff, make_token, sign_in
from tests.support.clock import Clock
from tests.support.register import TWO_PRIMES as REGISTER
from tests.support.register import import_register

APRIL = Cycle(2027, 4)
LOOPBACK = ("127.0.0.1", 50000)
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(client: TestClient, **headers: str) -> Samples:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def no_secret_labels(samples: Samples) -> None:
    allowed = {"cycle", "state", "result", "job", "route", "class", "part", "le"}
    for _name, labels in samples:
        assert {key for key, _ in labels} <= allowed | _process_labels()


def _process_labels() -> set[str]:  # prometheus-client's own python_info and gc families
    return {"implementation", "major", "minor", "patchlevel", "version", "generation"}


@pytest.fixture
def metrics_client(web_container: Container) -> Iterator[TestClient]:
    app = create_app(web_container)
    app.state.metrics.add(SchedulerCollector(web_container))
    with TestClient(app, base_url="http://127.0.0.1:8000", client=LOOPBACK) as client:
        yield client


def test_a_rotation_a_send_and_an_acknowledgement_are_counted(
    web_container: Container, clock: Clock, metrics_client: TestClient, tmp_path: Path
) -> None:
    container = web_container
    import_register(container, REGISTER.encode(), "register.csv", actor="tester")
    clock.now = container.calendar.dates(APRIL).issue_at + timedelta(seconds=5)
    before = scrape(metrics_client)
    assert value(before, "codeservice_rotation_providers", cycle="2027-04", state="remaining") == 2

    rotate(container.press, APRIL, now=container.now(), actor="test", source="test", workers=1)

    after = scrape(metrics_client)
    no_secret_labels(after)
    assert value(after, "codeservice_rotation_providers", cycle="2027-04", state="issued") == 2
    assert value(after, "codeservice_rotation_providers", cycle="2027-04", state="failed") == 0
    assert value(after, "codeservice_rotation_providers", cycle="2027-04", state="remaining") == 0
    assert value(after, "codeservice_acknowledgements_outstanding", cycle="2027-04") == 3
    assert value(after, "codeservice_providers_unacknowledged", cycle="2027-04") == 2
    hours = value(after, "codeservice_cycle_hours_to_activation", cycle="2027-04")
    assert 100 < hours < 24 * 6  # Wednesday 09:00 to Monday 00:00
    assert value(after, "codeservice_outbox_messages", state="queued") == 3
    assert value(after, "codeservice_outbox_due") == 3

    sent_before = value(after, "mailer_smtp_answers_total", **{"class": "2xx"})
    timed_before = value(after, "mailer_send_duration_seconds_count")
    with capturing(tmp_path / "mail") as server:
        config = replace(container.smtp_config, port=server.port, host="127.0.0.1")
        summary = asyncio.run(
            dispatcher.run(
                container.session_factory, config, container.keyring, once=True, clock=container.now
            )
        )
    assert summary.sent == 3
    sent = scrape(metrics_client)
    assert value(sent, "mailer_smtp_answers_total", **{"class": "2xx"}) == sent_before + 3
    assert value(sent, "mailer_send_duration_seconds_count") == timed_before + 3
    assert value(sent, "codeservice_outbox_messages", state="sent") == 3
    assert value(sent, "codeservice_outbox_due") == 0

    first = captured(tmp_path / "mail")[0]
    texts = [
        p.get_payload(decode=True) for p in first.walk() if p.get_content_type() == "text/plain"
    ]
    match = re.search(r"/ack/[A-Za-z0-9_-]+", b"".join(texts).decode())
    assert match
    assert open_and_confirm(metrics_client, match.group(0)).status_code == 200

    acknowledged = scrape(metrics_client)
    assert value(acknowledged, "codeservice_acknowledgements_outstanding", cycle="2027-04") == 2
    assert value(acknowledged, "codeservice_providers_unacknowledged", cycle="2027-04") == 1
    routes = {v for _, labels in acknowledged for k, v in labels if k == "route"}
    assert "/ack/{token}" in routes  # the template: never the path with its token
    assert all("{" in route or "/ack/" not in route for route in routes)


def test_helpline_pass_fail_and_lock_are_counted(
    web_container: Container, world: HelplineWorld, metrics_client: TestClient
) -> None:
    crm = {"Authorization": "Bearer " + make_token(web_container, "helpline-crm", Role.AGENT)}
    before = scrape(metrics_client)

    def check(right: bool) -> str:
        world.tick()
        started = metrics_client.post(
            "/api/v1/challenges", json={"provider_ref": "PRV001"}, headers=crm
        )
        assert started.status_code == 201, started.text
        body = started.json()
        given = (chars if right else wrong)(world.code(), body["positions"])
        answered = metrics_client.post(
            f"/api/v1/challenges/{body['id']}/answer", json={"characters": given}, headers=crm
        )
        result: str = answered.json()["result"]
        return result

    assert check(True) == "pass"
    for _ in range(web_container.settings.helpline_fail_limit):
        assert check(False) == "fail"

    after = scrape(metrics_client)
    no_secret_labels(after)
    for result, more in (("pass", 1), ("fail", web_container.settings.helpline_fail_limit)):
        was = value(before, "codeservice_helpline_checks_total", result=result)
        assert value(after, "codeservice_helpline_checks_total", result=result) == was + more
    assert value(after, "codeservice_helpline_locks_total") == (
        value(before, "codeservice_helpline_locks_total") + 1
    )
    assert value(after, "codeservice_helpline_locked_providers") == 1
    assert value(after, "codeservice_helpline_codes_over_exposure_limit") == 0
    assert (
        value(
            after,
            "codeservice_http_request_duration_seconds_count",
            route="/api/v1/challenges/{challenge_id}/answer",
            **{"class": "2xx"},
        )
        >= 1 + web_container.settings.helpline_fail_limit
    )


def test_sign_in_failures_scheduler_and_audit_are_reported(
    web_container: Container, metrics_client: TestClient, app_env: dict[str, str]
) -> None:
    from tests.conftest import Cli

    make_staff(web_container, "bmt.user", Role.BMT)
    before = scrape(metrics_client)
    assert ("codeservice_audit_last_verification_ok", ()) not in before
    assert value(before, "codeservice_scheduler_leader") == 0
    assert value(before, "codeservice_scheduler_next_run_timestamp_seconds", job="issue") > 0

    refused = sign_in(metrics_client, "bmt.user", "not the password at all")
    assert refused.status_code == 400
    verified = Cli(app_env, Path.cwd())("audit", "verify")
    assert verified.exit_code == 0, verified.output

    after = scrape(metrics_client)
    assert value(after, "codeservice_sign_in_failures_total", result="wrong") == (
        value(before, "codeservice_sign_in_failures_total", result="wrong") + 1
    )
    assert value(after, "codeservice_audit_last_verification_ok") == 1
    assert value(after, "codeservice_audit_last_verification_timestamp_seconds") > 0
    assert value(after, "codeservice_state_read_ok", part="audit") == 1


def test_a_lockout_is_counted(web_container: Container) -> None:
    settings = replace(web_container.settings, sign_in_lock_attempts=2, sign_in_delay_max_ms=0)
    service = Container(settings, clock=web_container.clock)
    make_staff(service, "bmt.user", Role.BMT)
    with TestClient(create_app(service), client=LOOPBACK) as client:
        before = scrape(client)
        assert sign_in(client, "bmt.user", "not the password at all").status_code == 400
        assert sign_in(client, "bmt.user", "not the password either").status_code == 429
        assert sign_in(client, "bmt.user").status_code == 429  # locked: not even the right one

        after = scrape(client)
    assert value(after, "codeservice_sign_in_lockouts_total") == (
        value(before, "codeservice_sign_in_lockouts_total") + 1
    )
    for result, more in (("wrong", 2), ("locked", 1)):
        was = value(before, "codeservice_sign_in_failures_total", result=result)
        assert value(after, "codeservice_sign_in_failures_total", result=result) == was + more
    # Locked for this address only: the account itself locks after 100 fails in a row.
    assert value(after, "codeservice_staff_accounts_locked") == 0


def test_metrics_are_refused_to_other_addresses_and_without_the_token(
    web_container: Container,
) -> None:
    token = "metrics-token-for-the-test"  # noqa: S105
    settings = replace(web_container.settings, metrics_token=token)
    app = create_app(Container(settings, clock=web_container.clock))
    with TestClient(app, client=("203.0.113.9", 40000)) as outside:
        refused = outside.get("/metrics")
        assert refused.status_code == 403
        assert "CODESERVICE_METRICS_ALLOW" in refused.text
        assert outside.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
        assert scrape(outside, Authorization=f"Bearer {token}")
    with TestClient(app, client=("testclient", 50000)) as unnamed:
        assert unnamed.get("/metrics").status_code == 403
    with TestClient(app, client=LOOPBACK) as local:
        assert scrape(local)

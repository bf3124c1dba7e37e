"""Property: every public form answers any input with a page, never a 5xx or a
traceback, and a refusal changes nothing (staff forms: ``test_form_properties_staff``).

Sign-in has its own (``test_sign_in``).
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from hypothesis import given
from hypothesis import strategies as st

from codeservice.bootstrap import Container
from codeservice.domain.accounts import Role
from codeservice.domain.audit import AuditTag
from tests.integration.web.helpline_world import HelplineWorld
from tests.integration.web.links import csrf_for, make_ack_link
from tests.integration.web.properties import FORMS, assert_handled, counts, free_text
from tests.integration.web.staff import make_staff, sign_in
from tests.integration.web.test_incident_form import VALID, report_path

# Fixtures run once per test: every example of a test uses the same world.


@pytest.fixture
def ack_path(web_container: Container) -> str:
    return make_ack_link(web_container).path


@pytest.fixture
def report_link(web_container: Container) -> str:
    return report_path(web_container)[0]


@pytest.fixture
def agent(client: TestClient, web_container: Container, world: HelplineWorld) -> TestClient:
    make_staff(web_container, "agent.user", Role.AGENT)
    assert sign_in(client, "agent.user").status_code == 303
    return client


def _post(client: TestClient, path: str, data: dict[str, str]) -> Response:
    return client.post(path, data=data, follow_redirects=False)


@FORMS
@given(token=free_text(), extra=free_text())
def test_the_acknowledgement_form(
    client: TestClient, web_container: Container, ack_path: str, token: str, extra: str
) -> None:
    path = ack_path
    assert client.get(path).status_code == 200
    for csrf in (token, csrf_for(client, path)):
        before = counts(web_container)
        response = client.post(path, data={"csrf_token": csrf, "note": extra})
        assert_handled(response, before, counts(web_container))


@FORMS
@given(typed=st.dictionaries(st.sampled_from(sorted(VALID)), free_text(), max_size=3))
def test_the_incident_report_form(
    client: TestClient, web_container: Container, report_link: str, typed: dict[str, str]
) -> None:
    """A valid proforma with up to three fields typed anyhow: some are recorded (until
    the link's hourly limit, 429), the rest refused."""
    assert client.get(report_link).status_code == 200
    fields = {**VALID, **typed, "csrf_token": csrf_for(client, report_link)}
    before = counts(web_container)
    response = _post(client, report_link, fields)
    assert_handled(response, before, counts(web_container))


@FORMS
@given(
    query=free_text().map(lambda text: text[:1000]),  # httpx refuses longer URLs
    provider=st.sampled_from(["PRV001", "SUB101", "PRV003"]) | free_text(),
    characters=st.lists(st.sampled_from(["a", "B", "7"]) | free_text(), min_size=3, max_size=3),
)
def test_the_helpline_console_forms(
    agent: TestClient,
    web_container: Container,
    world: HelplineWorld,
    query: str,
    provider: str,
    characters: list[str],
) -> None:
    client = agent
    world.tick()
    refusal = frozenset({AuditTag.HELPLINE_CHALLENGE_REFUSE.value})

    before = counts(web_container)
    search = client.get("/helpline", params={"q": query})
    assert_handled(search, before, counts(web_container))

    before = counts(web_container)
    token = csrf_for(client, "/helpline/challenges")
    started = _post(client, "/helpline/challenges", {"csrf_token": token, "provider": provider})
    assert_handled(started, before, counts(web_container), audited=refusal)

    location = started.headers.get("location", "")
    if location.startswith("/helpline/challenges/"):
        answer = location + "/answer"
        fields = {f"character-{i}": c for i, c in enumerate(characters, start=1)}
        before = counts(web_container)
        response = _post(client, answer, {**fields, "csrf_token": csrf_for(client, answer)})
        assert_handled(response, before, counts(web_container))

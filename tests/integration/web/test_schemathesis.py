"""Schemathesis against ``/openapi.json``: generated requests, valid and not, to every
operation of the BMT's API, on the real app and a real database with a month's data.

Every answer must be one the description allows (status, content type, body schema,
headers) and never a server error.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from codeservice.bootstrap import Container
from codeservice.domain.accounts import Role
from codeservice.web import create_app
from tests.integration.web.links import NOW
from tests.integration.web.staff import make_token
from tests.support.clock import Clock
from tests.support.dashboard import (
    ISSUE_DAY,
    Mailbox,
    acknowledge_as,
    import_example_register,
    issue,
    work_outbox,
)

BMT_API = {"/api/v1/dashboard", "/api/v1/cycles", "/api/v1/cycles/{cycle}", "/api/v1/providers"}
EXAMPLES = 25  # per operation and mode: the whole file runs in well under a minute


@pytest.fixture
def api_schema(web_container: Container, clock: Clock) -> schemathesis.BaseSchema:
    mailbox = Mailbox()
    clock.now = ISSUE_DAY
    import_example_register(web_container)
    issue(web_container)
    work_outbox(web_container, mailbox, failing=["fiona.macleod@example.org"])
    clock.now = ISSUE_DAY + timedelta(hours=4)
    acknowledge_as(web_container, mailbox, "priya.raman@example.org")
    clock.now = NOW
    token = make_token(web_container, "schemathesis", Role.BMT)
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(web_container))

    # Registered as the schema's auth, so that schemathesis knows the requests carry a
    # token and can also send some without (expecting them refused).
    @schema.auth()
    class BmtToken:
        def get(self, case: schemathesis.Case, context: schemathesis.AuthContext) -> str:
            return token

        def set(
            self, case: schemathesis.Case, data: str, context: schemathesis.AuthContext
        ) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    return schema


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation_answers_as_described(
    api_schema: schemathesis.BaseSchema, mode: GenerationMode
) -> None:
    operations = [
        operation
        for operation in (result.ok() for result in api_schema.get_all_operations())
        if operation.path in BMT_API
    ]
    assert len(operations) == len(BMT_API)
    statuses: set[int] = set()

    for operation in operations:

        @given(case=operation.as_strategy(mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        )
        def answers_as_described(case: schemathesis.Case) -> None:
            statuses.add(case.call_and_validate().status_code)

        answers_as_described()

    # The token was used: valid requests were answered, invalid ones refused.
    assert (200 if mode is GenerationMode.POSITIVE else 422) in statuses

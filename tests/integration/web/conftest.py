"""A web app on a container whose clock the test sets."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from codeservice.bootstrap import Container
from codeservice.domain.accounts import Role
from codeservice.web import create_app
from tests.integration.web.helpline_world import DURING_APRIL, HelplineWorld, make_world
from tests.integration.web.links import NOW
from tests.integration.web.staff import make_staff, sign_in
from tests.support.clock import Clock


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def web_container(container: Container, clock: Clock) -> Iterator[Container]:
    """The initialised test service, read through a clock the test controls."""
    built = Container(container.settings, clock=clock)
    yield built
    built.close()


@pytest.fixture
def app(web_container: Container) -> FastAPI:
    return create_app(web_container)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://127.0.0.1:8000") as test_client:
        yield test_client


# --- the helpline pages' world --------------------------------------------------------


@pytest.fixture
def world(web_container: Container, clock: Clock) -> HelplineWorld:
    """April 2027's codes in force; ``world.tick()`` moves the clock on a second."""
    clock.now = DURING_APRIL
    world = make_world(web_container)

    def tick() -> None:
        clock.now += timedelta(seconds=1)

    world.tick = tick
    return world


@pytest.fixture
def security(client: TestClient, web_container: Container, world: HelplineWorld) -> TestClient:
    """A member of the security team, signed in."""
    make_staff(web_container, "security.user", Role.SECURITY)
    assert sign_in(client, "security.user").status_code == 303
    return client

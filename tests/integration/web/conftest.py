"""A web app on a container whose clock the test sets."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from codeservice.bootstrap import Container
from codeservice.web import create_app
from tests.integration.web.links import NOW, Clock


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

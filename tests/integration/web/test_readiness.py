from __future__ import annotations

import dataclasses
import socket

from fastapi import FastAPI
from fastapi.testclient import TestClient

from codeservice.bootstrap import Container
from codeservice.web import create_app


def test_readyz_reports_the_database_the_scheduler_and_the_outbox(
    app: FastAPI, client: TestClient
) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert response.json() == {
        "database": "ok",
        "scheduler": "off",  # `codeservice web` runs no scheduler
        "mail_worker": "off",
        "outbox": {
            "queued": 0,
            "sending": 0,
            "sent": 0,
            "failed": 0,
            "cancelled": 0,
            "due": 0,
        },
    }
    app.state.scheduler_state = lambda: "standby"
    app.state.mail_worker_state = lambda: "running"
    assert client.get("/readyz").json()["scheduler"] == "standby"
    assert client.get("/readyz").json()["mail_worker"] == "running"


def test_readyz_is_503_when_the_database_cannot_be_reached(web_container: Container) -> None:
    with socket.socket() as probe:  # a port where nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    gone = dataclasses.replace(
        web_container.settings,
        database_url=f"postgresql+psycopg://postgres@127.0.0.1:{port}/codeservice",
    )
    broken = Container(gone, clock=web_container.clock)
    with TestClient(create_app(broken), base_url="http://127.0.0.1:8000") as client:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["database"] == "unreachable"
        assert client.get("/healthz").status_code == 200  # the process itself is up
    broken.close()

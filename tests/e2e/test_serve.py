"""``codeservice serve`` as real processes: alone on the embedded database, and two of
them sharing one PostgreSQL database, one killed with SIGKILL mid-month."""

from __future__ import annotations

import email
import email.policy
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from codeservice.bootstrap import Container, bootstrap
from codeservice.storage.models import AccessCode, JobRun, Spoc
from mailer.capture import captured, capturing
from mailer.schema import outbox
from scheduler import lease, ledger
from tests.support.register import import_register_file

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
REGISTER = ROOT / "config" / "providers.example.csv"
# Cycle 2027-04 is issued Wed 31 Mar 2027 09:00 BST.
ISSUE = datetime(2027, 3, 31, 8, 0, tzinfo=UTC)


Launcher = tuple[str, ...]
CODESERVICE: Launcher = ("-m", "codeservice")
# The test and demonstration entry point whose processes read a shifted clock.
SHIFTED_CLOCK = Path(__file__).resolve().parents[2] / "scripts" / "shifted_clock.py"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(condition: Callable[[], bool], what: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting: {what}", pytrace=False)
        time.sleep(0.2)


def get(port: int, path: str) -> httpx.Response | None:
    try:
        return httpx.get(f"http://127.0.0.1:{port}{path}", timeout=5)
    except httpx.TransportError:
        return None


def ready(port: int) -> dict[str, Any] | None:
    response = get(port, "/readyz")
    return None if response is None or response.status_code != 200 else response.json()


class Serve:
    """One ``codeservice serve`` process, its output in a file."""

    def __init__(
        self, env: dict[str, str], cwd: Path, name: str, *command: str, launcher: Launcher
    ) -> None:
        self.port = free_port()
        self.log = cwd / f"{name}.log"
        args = command or ("serve", "--port", str(self.port))
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter
            [sys.executable, *launcher, *args],
            env=env,
            cwd=cwd,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.log.read_text()

    def wait_healthy(self) -> None:
        def up() -> bool:
            if self.process.poll() is not None:
                pytest.fail(f"serve exited early:\n{self.output()}", pytrace=False)
            response = get(self.port, "/healthz")
            return response is not None and response.status_code == 200

        wait_until(up, f"serve on port {self.port} to answer /healthz")

    def terminate(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)


@contextmanager
def serving(
    env: dict[str, str],
    cwd: Path,
    *names: str,
    command: tuple[str, ...] = (),
    launcher: Launcher = CODESERVICE,
) -> Iterator[list[Serve]]:
    started = [Serve(env, cwd, name, *command, launcher=launcher) for name in names]
    try:
        yield started
    finally:
        for each in started:
            each.kill()


def embedded(tmp_path: Path) -> dict[str, str]:
    """A fresh service on the default database (SQLite in its home), initialised."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CODESERVICE_")}
    env.update(CODESERVICE_HOME=str(tmp_path / "var"), CODESERVICE_SMTP_PORT=str(free_port()))
    subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-m", "codeservice", "init"], env=env, cwd=tmp_path, check=True
    )
    return env


def test_serve_on_the_embedded_database_answers_and_stops_cleanly_on_sigterm(
    tmp_path: Path,
) -> None:
    env = embedded(tmp_path)
    with serving(env, tmp_path, "serve") as (serve,):
        serve.wait_healthy()
        assert get(serve.port, "/healthz").json() == {"status": "ok"}  # type: ignore[union-attr]
        wait_until(lambda: (ready(serve.port) or {}).get("scheduler") == "leader", "the lead")
        body = ready(serve.port)
        assert body is not None
        assert body["database"] == "ok" and body["mail_worker"] == "running"
        assert body["outbox"] == {
            "queued": 0,
            "sending": 0,
            "sent": 0,
            "failed": 0,
            "cancelled": 0,
            "due": 0,
        }
        assert serve.terminate() == 0
    output = serve.output()
    assert "Traceback" not in output
    assert "steps down: stopping" in output and output.rstrip().endswith("stopped")
    database = bootstrap(env)
    with database.uow() as uow:
        held = lease.current(uow.session)
    database.close()
    assert held is not None and held.holder.split(":")[1] == str(serve.pid)
    assert held.expires_at <= datetime.now(UTC)  # released: the next process leads at once


def test_the_scheduler_and_the_worker_run_alone_and_stop_cleanly_on_sigterm(
    tmp_path: Path,
) -> None:
    env = embedded(tmp_path)
    with serving(env, tmp_path, "scheduler", command=("scheduler",)) as (scheduler,):
        wait_until(lambda: "took the lead" in scheduler.output(), "the scheduler to lead")
        with serving(env, tmp_path, "worker", command=("worker",)) as (worker,):
            wait_until(lambda: "mail dispatcher" in worker.output(), "the worker to start")
            assert worker.terminate() == 0
        assert scheduler.terminate() == 0
    for each in (scheduler, worker):
        assert "Traceback" not in each.output()
        assert each.output().rstrip().endswith("stopped")


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_serve_processes_share_the_work_and_one_takes_over_from_the_other(
    app_env: dict[str, str], container: Container, tmp_path: Path
) -> None:
    import_register_file(container, REGISTER, actor="test")
    with container.uow() as uow:
        primes = len(uow.register.active_primes())
        spocs = sorted(uow.session.scalars(select(Spoc.email).where(Spoc.active.is_(True))))
    maildir = tmp_path / "captured"
    with capturing(maildir) as smtp:
        # The processes' clocks show 15 seconds before the issue of cycle 2027-04, and a
        # scheduler has run on this database before (so however slowly the processes
        # start, the issue is theirs to do, on time or caught up).
        offset = int((ISSUE - datetime.now(UTC)).total_seconds()) - 15
        ledger.first_start(container, holder="test", now=ISSUE - timedelta(minutes=1))
        env = {
            **app_env,
            "CODESERVICE_SMTP_PORT": str(smtp.port),
            "CODESERVICE_SCHEDULER_LEASE_SECONDS": "9",
            "CODESERVICE_SUMMARY_DELAY_MINUTES": "1",
        }
        shifted = (str(SHIFTED_CLOCK), str(offset))
        with serving(env, tmp_path, "first", "second", launcher=shifted) as processes:
            for each in processes:
                each.wait_healthy()

            def finished(job: str) -> str | None:
                """Which process finished the job, if one has."""
                with container.uow() as uow:
                    return uow.session.scalar(
                        select(JobRun.holder).where(
                            JobRun.job == job, JobRun.finished_at.is_not(None)
                        )
                    )

            def documents_sent() -> bool:
                with container.uow() as uow:
                    states = uow.session.scalars(
                        select(outbox.c.state).where(outbox.c.category == "access-code-document")
                    ).all()
                return len(states) == len(spocs) and set(states) == {"sent"}

            wait_until(lambda: finished("issue") is not None, "the rotation")
            wait_until(documents_sent, "email 1 to every SPoC")

            # One rotation: one code per provider, one email 1 per SPoC.
            with container.uow() as uow:
                per_provider = Counter(uow.session.scalars(select(AccessCode.provider_id)))
            assert len(per_provider) == primes and set(per_provider.values()) == {1}
            assert sorted(_recipients(maildir, attachment=True)) == spocs

            # Kill the leader outright; the other takes the lease over and runs the next job.
            with container.uow() as uow:
                held = lease.current(uow.session)
            assert held is not None
            leader = next(p for p in processes if held.holder.split(":")[1] == str(p.pid))
            survivor = next(p for p in processes if p is not leader)
            leader.process.send_signal(signal.SIGKILL)
            leader.process.wait(timeout=30)
            wait_until(
                lambda: (ready(survivor.port) or {}).get("scheduler") == "leader",
                "the survivor to take the lead",
                seconds=60,
            )
            wait_until(lambda: finished("rotation-summary") is not None, "the summary", 120)
            summary_by = finished("rotation-summary")
            assert summary_by is not None and summary_by.split(":")[1] == str(survivor.pid)
            wait_until(lambda: len(_messages(maildir)) == len(spocs) + 1, "the summary email")
            assert survivor.terminate() == 0

    messages = _messages(maildir)
    assert len({m["Message-ID"] for m in messages}) == len(messages)  # nothing sent twice
    assert sorted(_recipients(maildir, attachment=True)) == spocs
    assert [str(m["To"]) for m in messages if not list(m.iter_attachments())] == [
        "Provider Direct BMT <provider-direct-bmt@example.gov.uk>"
    ]
    assert "Traceback" not in survivor.output()


def _messages(maildir: Path) -> list[EmailMessage]:
    parsed = [
        email.message_from_bytes(m.as_bytes(), policy=email.policy.default)
        for m in captured(maildir)
    ]
    return [m for m in parsed if isinstance(m, EmailMessage)]


def _recipients(maildir: Path, *, attachment: bool) -> list[str]:
    return [
        str(m["To"]).rpartition("<")[2].rstrip(">")
        for m in _messages(maildir)
        if bool(list(m.iter_attachments())) is attachment
    ]

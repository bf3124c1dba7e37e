"""A sender killed mid-batch, and a rerun: no message lost, none sent twice but those
the server had accepted and the dead sender had not yet recorded."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from mailer import dispatcher, outbox
from mailer.capture import smtp_server
from tests.integration.mailer.support import AesGcmSealer, Recorder, Stall, config_for, queue
from tests.support.clock import Clock

Sessions = sessionmaker[Session]
ROOT = Path(__file__).resolve().parents[3]
CHILD = "from tests.integration.mailer.support import dispatch_child; dispatch_child()"


def _states(sessions: Sessions, ids: list[int]) -> dict[int, tuple[str, str | None]]:
    with sessions() as session:
        return {e.id: (str(e.state), e.message_id) for e in outbox.by_ids(session, ids)}


def test_a_sender_killed_mid_batch_loses_nothing_and_resends_only_the_unrecorded(
    database_url: str, sessions: Sessions, sealer: AesGcmSealer, clock: Clock
) -> None:
    ids = [queue(sessions, sealer, clock(), f"k{n}", to=f"s{n}@p.example.org") for n in range(30)]
    stall = Stall(accept=15)
    with smtp_server(stall) as server:
        child = subprocess.Popen(  # noqa: S603
            [sys.executable, "-c", CHILD, database_url, sealer.key.hex(), str(server.port)]
            + [clock().isoformat()],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        try:
            for _ in range(1200):  # the server took 15, and holds the next ones in DATA
                if len(stall.received) >= 15 or child.poll() is not None:
                    break
                time.sleep(0.05)
            assert len(stall.received) == 15
            child.send_signal(signal.SIGKILL)
            assert child.wait(30) == -signal.SIGKILL
        finally:
            if child.poll() is None:
                child.kill()
            stall.release.set()
    at_kill = _states(sessions, ids)
    first = Counter(stall.message_ids())
    recorded = {mid for state, mid in at_kill.values() if state == "sent"}
    assert recorded <= set(first)  # only what the server accepted is marked sent
    assert any(state == "sending" for state, _ in at_kill.values())  # claims were held

    clock.advance(seconds=config_for(25).claim_seconds + 1)  # the dead sender's claims expire
    rerun = Recorder()
    with smtp_server(rerun) as server:
        summary = asyncio.run(
            dispatcher.run(sessions, config_for(server.port), sealer, once=True, clock=clock)
        )
    after = _states(sessions, ids)
    assert {state for state, _ in after.values()} == {"sent"}  # nothing lost
    second = Counter(rerun.message_ids())
    assert summary.sent == len(second) == 30 - len(recorded)
    everything = first + second
    assert set(everything) == {mid for _, mid in after.values()}
    twice = {mid for mid, count in everything.items() if count > 1}
    assert twice <= set(first) - recorded  # only accepted-but-unrecorded messages went again
    assert max(everything.values()) <= 2

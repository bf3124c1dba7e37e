from __future__ import annotations

import json

from codeservice.bootstrap import Container
from scheduler.jobs import JobContext, run_due
from tests.conftest import Cli


def test_status_without_a_cycle_shows_the_next_runs_and_the_last(
    cli: Cli, container: Container
) -> None:
    before = cli("status", "--json")
    assert before.exit_code == 0, before.output
    shown = json.loads(before.output)
    assert shown["scheduler"] is None and shown["due"] == [] and shown["recent"] == []
    kinds = [entry["job"] for entry in shown["next"]]
    assert kinds[0] == "issue" and {"activate", "escalate"} <= set(kinds)

    run_due(container, JobContext(holder="host:1"))  # the scheduler's first start
    table = cli("status")
    assert table.exit_code == 0, table.output
    assert "Next runs" in table.output and "issue of cycle" in table.output
    assert "scheduler first-start" in table.output
    assert "Outbox: 0 queued" in table.output

"""Rotations started from the dashboard, each run in a thread of the web process.

A rotation takes about a minute for a full register; the request that asks for one
only starts it and the page then shows its progress. One run per cycle at a time in
this process; the rotation itself is safe to run beside the scheduler or the CLI (a
provider is never issued twice), and a run cut short — the process restarted — is
finished by running it again.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime

from codeservice.bootstrap import Container
from codeservice.domain.calendar import Cycle
from codeservice.errors import CodeserviceError
from codeservice.services.distribution.rotation import RotationReport, rotate

log = logging.getLogger(__name__)

UNEXPECTED = (
    "The rotation stopped because of an unexpected problem (see the service log). "
    "Providers already done keep their codes; run it again to finish the rest."
)


@dataclass
class RotationRun:
    cycle: str
    requested_by: str
    started_at: datetime
    total: int | None = None
    done: int = 0
    finished_at: datetime | None = None
    report: RotationReport | None = None
    error: str | None = None
    thread: threading.Thread | None = field(default=None, repr=False)

    @property
    def running(self) -> bool:
        return self.finished_at is None


class RotationRuns:
    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers  # document processes per run (None: one per core)
        self._lock = threading.Lock()
        self._runs: dict[str, RotationRun] = {}

    def get(self, cycle: Cycle) -> RotationRun | None:
        with self._lock:
            return self._runs.get(str(cycle))

    def start(
        self, container: Container, cycle: Cycle, *, actor: str, source: str
    ) -> tuple[RotationRun, bool]:
        """The cycle's run, and whether this call started it (False: one is running)."""
        with self._lock:
            current = self._runs.get(str(cycle))
            if current is not None and current.running:
                return current, False
            run = RotationRun(str(cycle), actor, container.now())
            run.thread = threading.Thread(
                target=self._run,
                args=(container, cycle, run, actor, source),
                name=f"rotation-{cycle}",
                daemon=True,
            )
            self._runs[str(cycle)] = run
            run.thread.start()
            return run, True

    def wait(self, cycle: Cycle, timeout: float | None = None) -> RotationRun | None:
        """Block until the cycle's run has finished (for tests and shutdown)."""
        run = self.get(cycle)
        if run is not None and run.thread is not None:
            run.thread.join(timeout)
        return run

    def _run(
        self, container: Container, cycle: Cycle, run: RotationRun, actor: str, source: str
    ) -> None:
        def on_total(total: int) -> None:
            run.total = total

        def on_done(_ref: str) -> None:
            run.done += 1

        try:
            run.report = rotate(
                container.press,
                cycle,
                now=container.now(),
                actor=actor,
                source=source,
                workers=self.workers,
                on_total=on_total,
                on_done=on_done,
            )
        except CodeserviceError as error:
            run.error = str(error)
        except Exception:
            log.exception("the rotation of cycle %s started from the dashboard failed", cycle)
            run.error = UNEXPECTED
        finally:
            run.finished_at = container.now()

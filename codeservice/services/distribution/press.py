"""What a rotation works with, built once by the composition root (``container.press``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from codeservice.domain.calendar import Calendar
from codeservice.services.distribution.issuing import Issuer
from codeservice.storage.uow import UnitOfWork


@dataclass(frozen=True)
class Press:
    """The rotation's collaborators: ``uow`` makes its units of work (it commits a batch
    at a time), ``issuer`` the mailroom and code alphabet, ``calendar`` the cycle's dates.

    ``batch_time`` reads the time each batch, each failure and the run's end are written
    at: a rotation runs for minutes, and those records keep the time they were really
    written. The run itself (its start, the documents' issue date, the codes' state) is
    stamped with the ``now`` its caller read once.
    """

    uow: Callable[[], UnitOfWork]
    issuer: Issuer
    calendar: Calendar
    batch_time: Callable[[], datetime]

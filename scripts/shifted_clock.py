"""Run a ``codeservice`` command with the service's clock shifted: tests and demos only.

    python scripts/shifted_clock.py SECONDS serve --port 8000

The process (and every container it builds) reads a clock SECONDS away from the real
one, so that an issue day can be reached without waiting a month. It logs a warning
when it starts. Nothing in the settings or the environment can shift a production
clock: only this script, which is not installed with the package.
"""

from __future__ import annotations

import logging
import sys
from datetime import datetime, timedelta

from codeservice.bootstrap import utc_now
from codeservice.cli import main
from codeservice.cli.common import shift_clock

USAGE = "usage: python scripts/shifted_clock.py SECONDS COMMAND [ARGS...]"


def run(argv: list[str]) -> None:
    if len(argv) < 2:
        sys.exit(USAGE)
    try:
        offset = timedelta(seconds=int(argv[0]))
    except ValueError:
        sys.exit(f"SECONDS must be a whole number of seconds, got {argv[0]!r}\n{USAGE}")

    def shifted() -> datetime:
        return utc_now() + offset

    shift_clock(shifted)
    logging.getLogger("codeservice").warning(
        "the service clock is shifted by %+d seconds (scripts/shifted_clock.py): "
        "for tests and demonstrations only",
        int(offset.total_seconds()),
    )
    sys.argv = ["codeservice", *argv[1:]]
    main()


if __name__ == "__main__":
    run(sys.argv[1:])

"""What every command shares: the container, error output, JSON output."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console

from codeservice.bootstrap import Container, bootstrap, configure_logging

# Piped or captured output is not squeezed into 80 columns: tables stay readable in logs.
stdout = Console(width=None if sys.stdout.isatty() else 160)
stderr = Console(stderr=True)


def container() -> Container:
    built = bootstrap()
    configure_logging(built.settings)
    return built


def console_error(message: str, prefix: str = "error: ") -> None:
    # Plain write: rich markup must not eat brackets in file names or messages.
    sys.stderr.write(f"{prefix}{message}\n")


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n")

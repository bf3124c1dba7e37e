"""CPU seconds on this machine, by whom: the server under test, the clients (this
process) and the PostgreSQL backends serving a throwaway database, each from /proc."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text

SERVER_PIDS: list[int] = []  # the server's process, while it runs (for its CPU time)
DATABASES: list[tuple[str, str]] = []  # (admin URL, name) of a throwaway PostgreSQL one


def process_cpu(pid: int) -> float:
    """CPU seconds process ``pid`` has used so far (user + system), from /proc; 0 if it
    is gone or not ours to read."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_cpu() -> float:
    """CPU seconds the server process has used so far."""
    return process_cpu(SERVER_PIDS[-1]) if SERVER_PIDS else 0.0


def database_cpu() -> float:
    """CPU seconds the PostgreSQL backends serving the throwaway database have used so
    far (those connected now: the server's pool keeps its connections), when the
    server runs on this machine; 0 on SQLite, which works in the server's process."""
    if not DATABASES:
        return 0.0
    admin_url, name = DATABASES[-1]
    engine = create_engine(admin_url)
    try:
        with engine.connect() as connection:
            pids = connection.execute(
                text("SELECT pid FROM pg_stat_activity WHERE datname = :name"), {"name": name}
            ).scalars()
            return sum(process_cpu(pid) for pid in pids)
    finally:
        engine.dispose()


@dataclass
class Cpu:
    """CPU seconds taken so far by the server, the clients (this process) and the
    database's backends: the machine's cores, shared by all three."""

    server: float = 0.0
    clients: float = 0.0
    database: float = 0.0

    @classmethod
    def now(cls) -> Cpu:
        return cls(server_cpu(), time.process_time(), database_cpu())

    def __sub__(self, other: Cpu) -> Cpu:
        return Cpu(
            self.server - other.server,
            self.clients - other.clients,
            self.database - other.database,
        )

    def __add__(self, other: Cpu) -> Cpu:
        return Cpu(
            self.server + other.server,
            self.clients + other.clients,
            self.database + other.database,
        )

"""Where a helpline challenge + answer goes: SQL statements and transactions per request.

    .venv/bin/python bench/helpline_profile.py [--pairs 200] [--postgres ADMIN_URL]
                                               [--cprofile 25] [--no-freeze]

Builds the same throwaway service as ``helpline.py`` and sends pairs through the real
app in this process (Starlette's test client, one at a time), counting on the engine
itself: every statement the database is sent and every transaction begun, by request
(the API token's check included), and with them the round trips to PostgreSQL (psycopg
sends BEGIN and COMMIT as round trips of their own). With ``--cprofile N`` it also
prints the N functions that took the most time, cumulative, over all the pairs. It
also times the cyclic garbage collector over the pairs: the app's start-up objects are
frozen first (``gc.freeze()``, as ``codeservice serve`` does) unless ``--no-freeze``.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pstats
import tempfile
import time
from collections import Counter
from functools import partial
from pathlib import Path
from typing import Any

from helpline import database, prepare
from sqlalchemy import event


class Counts:
    def __init__(self) -> None:
        self.statements = 0
        self.transactions = 0
        self.commits = 0
        self.kinds: Counter[str] = Counter()
        self.show = False

    def attach(self, engine: Any) -> None:
        @event.listens_for(engine, "before_cursor_execute")
        def _statement(_c: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            self.statements += 1
            self.kinds[" ".join(statement.split()[:4])[:60]] += 1
            if os.environ.get("SHOW_SQL") and self.show:
                print("   ", " ".join(statement.split())[:300])

        @event.listens_for(engine, "begin")
        def _begin(_connection: Any) -> None:
            self.transactions += 1

        @event.listens_for(engine, "commit")
        def _commit(_connection: Any) -> None:
            self.commits += 1

    def take(self) -> tuple[int, int, int]:
        taken = (self.statements, self.transactions, self.commits)
        self.statements = self.transactions = self.commits = 0
        return taken


class Collections:
    """The cyclic garbage collector's runs and the time they took (``gc.callbacks``)."""

    def __init__(self) -> None:
        self.runs: Counter[int] = Counter()
        self.seconds = 0.0
        self._began = 0.0

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._began
            self.runs[info["generation"]] += 1

    def start(self) -> None:
        gc.callbacks.append(self._callback)

    def stop(self) -> None:
        gc.callbacks.remove(self._callback)

    def line(self, pairs: int) -> str:
        runs = ", ".join(f"{self.runs[g]} of generation {g}" for g in range(3))
        frozen = gc.get_freeze_count()
        return (
            f"cyclic GC over the pairs: {1000 * self.seconds / pairs:.3f} ms per pair "
            f"({runs}; {frozen} objects frozen)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", type=int, default=200)
    parser.add_argument("--postgres", default="")
    parser.add_argument("--cprofile", type=int, default=0, help="print the top N functions")
    parser.add_argument("--statements", action="store_true", help="list statement kinds")
    parser.add_argument(
        "--no-freeze", action="store_true", help="no gc.freeze() once the app is built"
    )
    args = parser.parse_args()

    with (
        tempfile.TemporaryDirectory(prefix="codeservice-bench-") as home,
        database(args.postgres or None, Path(home)) as url,
    ):
        env = {k: v for k, v in os.environ.items() if not k.startswith("CODESERVICE_")}
        env.update(
            CODESERVICE_HOME=home,
            CODESERVICE_DATABASE_URL=url,
            CODESERVICE_LOG_LEVEL="WARNING",
            CODESERVICE_BASE_URL="http://127.0.0.1",
        )
        token, codes = prepare(env, 40)
        from starlette.testclient import TestClient

        from codeservice.bootstrap import bootstrap
        from codeservice.web import create_app
        from codeservice.web.app import freeze_start_up

        container = bootstrap(env)
        app = create_app(container)
        if not args.no_freeze:
            freeze_start_up()  # as ``codeservice serve`` does
        collector = Collections()
        counts = Counts()
        counts.attach(container.engine)
        headers = {"Authorization": f"Bearer {token}"}
        refs = sorted(codes)
        per: dict[str, list[tuple[int, int, int]]] = {"challenge": [], "answer": []}
        profile = cProfile.Profile() if args.cprofile else None
        with TestClient(app) as client:
            for number in range(args.pairs + 5):
                ref = refs[number % len(refs)]
                counts.take()
                counts.show = number == 5
                if number == 5:
                    counts.kinds.clear()
                    collector.start()
                    if profile:
                        profile.enable()
                made = client.post(
                    "/api/v1/challenges", json={"provider_ref": ref}, headers=headers
                )
                assert made.status_code == 201, made.text
                challenge = counts.take()
                body = made.json()
                characters = "".join(codes[ref][p - 1] for p in body["positions"])
                checked = client.post(
                    f"/api/v1/challenges/{body['id']}/answer",
                    json={"characters": characters},
                    headers=headers,
                )
                assert checked.json() == {"result": "pass"}, checked.text
                if number >= 5:  # the first few warm the caches and the pool
                    per["challenge"].append(challenge)
                    per["answer"].append(counts.take())
        collector.stop()
        started, cpu = time.perf_counter(), time.process_time()
        service_pairs(container, codes, args.pairs)
        print(
            f"services alone: {1000 * (time.perf_counter() - started) / args.pairs:.1f} ms wall, "
            f"{1000 * (time.process_time() - cpu) / args.pairs:.1f} ms CPU per pair"
        )
        if profile:
            profile.disable()
            # The routes run in other threads: profile the services themselves, too.
            service = cProfile.Profile()
            service.enable()
            service_pairs(container, codes, args.pairs)
            service.disable()
        container.close()

    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(f"{args.pairs} pairs, {backend}, in process, one at a time")
    for name, taken in per.items():
        statements, transactions, commits = (
            sum(t[i] for t in taken) / len(taken) for i in range(3)
        )
        # Every statement is a round trip to PostgreSQL, and so are psycopg's own BEGIN
        # (sent before a transaction's first statement) and COMMIT; SQLite runs them all
        # in the process, its BEGIN IMMEDIATE counted with the statements.
        trips = statements + commits + (transactions if args.postgres else 0)
        print(
            f"  {name:<10} {statements:5.1f} statements  {transactions:4.1f} transactions"
            f"  {trips:4.1f} {'round trips' if args.postgres else 'calls into SQLite'}"
        )
    print(f"  {collector.line(args.pairs)}")
    if args.statements:
        for kind, count in counts.kinds.most_common():
            print(f"    {count / args.pairs:5.2f}  {kind}")
    if profile:
        print("the services called directly (what a route runs, without HTTP):")
        pstats.Stats(service).sort_stats(os.environ.get("SORT", "cumulative")).print_stats(
            args.cprofile
        )


def service_pairs(container: Any, codes: dict[str, str], pairs: int) -> None:
    from codeservice.services.helpline import answer_challenge, resolve_ref, start_challenge

    refs = sorted(codes)
    desk, resolve = container.helpdesk, partial(resolve_ref, container.read_uow)
    for number in range(pairs):
        ref = refs[number % len(refs)]
        view = start_challenge(
            container.uow,
            desk,
            ref,
            resolve=resolve,
            agent="token:bench",
            now=container.now(),
            source="127.0.0.1",
        )
        characters = "".join(codes[ref][p - 1] for p in view.positions)
        result = answer_challenge(
            container.uow,
            desk,
            view.id,
            characters,
            agent="token:bench",
            now=container.now(),
            source="127.0.0.1",
        )
        assert result == "pass", result


if __name__ == "__main__":
    main()

"""Use cases receive their collaborators and ``now`` from their caller.

A use case takes an open unit of work (and the keyring, calendar or settings it needs)
rather than the whole ``Container``, and ``now: datetime`` as a required keyword rather
than reading a clock: its entry point (a route, a CLI command, a scheduler job) reads the
clock once, so one transaction stamps every record with the same time.

``NOT_YET`` lists the modules (or ``module:function``) that still take the container,
each group with its reason; ``CLOCK_NOT_YET``, those of them that still read its clock.
A new entry needs a reason in review.
"""

from __future__ import annotations

import ast
from pathlib import Path

import codeservice.services

SERVICES = Path(codeservice.services.__file__).parent
NOT_YET = {
    # they make or replace the database and the keys the container is built from (the
    # engine itself, its files, the schema)
    "operations/backup.py",
    "operations/setup.py",
}


# A rotation runs for minutes: it is stamped with the ``now`` its caller read once, but
# each batch it writes, each failure and its end keep the time they were written, read
# from the clock it is given for that (``Press.batch_time``). Only these call it.
BATCH_CLOCK = {
    "distribution/rotation.py",
    "distribution/rotation_writer.py",
}

# A Prometheus collector is built once and read at every scrape: it reads the clock it
# is given then.
SCRAPE_CLOCK = {
    "metrics_state.py",
}

# What still reads a clock: the container's (those of NOT_YET), the rotation's batch
# clock, or the collector's scrape clock.
CLOCK_NOT_YET = {
    *BATCH_CLOCK,
    *SCRAPE_CLOCK,
}


def _functions(
    excepted: set[str] = NOT_YET,
) -> list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """Every function of the use cases, but those ``excepted`` (a module, or
    ``module:function``)."""
    found = []
    for path in sorted(SERVICES.rglob("*.py")):
        name = str(path.relative_to(SERVICES))
        if name in excepted:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=name)
        found += [
            (f"{name}:{node.name}", node)
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and f"{name}:{node.name}" not in excepted
        ]
    return found


def _takes_container(arg: ast.arg) -> bool:
    annotation = ast.unparse(arg.annotation) if arg.annotation else ""
    return arg.arg == "container" or "Container" in annotation


def test_use_cases_take_no_container() -> None:
    found = [
        f"{where}({arg.arg})"
        for where, node in _functions()
        for arg in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
        if _takes_container(arg)
    ]
    assert found == []


def test_use_cases_read_no_clock() -> None:
    found = [
        f"{where} line {call.lineno}"
        for where, node in _functions(CLOCK_NOT_YET)
        for call in ast.walk(node)
        if isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr in {"now", "today", "utcnow", "clock", "batch_time"}
    ]
    assert found == []


def test_now_is_required() -> None:
    """``now`` has no default: a use case never falls back to reading the clock."""
    found = []
    for where, node in _functions(CLOCK_NOT_YET):
        args = node.args
        positional = [*args.posonlyargs, *args.args]
        defaulted = positional[len(positional) - len(args.defaults) :]
        defaulted += [
            a for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None
        ]
        found += [where for a in defaulted if a.arg == "now"]
    assert found == []


def test_what_still_reads_the_clock_still_takes_the_container() -> None:
    given_clocks = BATCH_CLOCK | SCRAPE_CLOCK
    assert {entry.partition(":")[0] for entry in CLOCK_NOT_YET - given_clocks} <= {
        entry.partition(":")[0] for entry in NOT_YET
    }


def test_the_exceptions_are_still_exceptions() -> None:
    """A module moved over leaves ``NOT_YET``."""
    converted = []
    for entry in sorted(NOT_YET):
        name, _, function = entry.partition(":")
        text = (SERVICES / name).read_text(encoding="utf-8")
        if function:
            tree = ast.parse(text)
            defined = [
                n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == function
            ]
            text = "".join(ast.unparse(n) for n in defined)
        if "Container" not in text and ".now()" not in text and "container" not in text:
            converted.append(entry)
    assert converted == []

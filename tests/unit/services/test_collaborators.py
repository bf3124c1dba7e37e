"""Use cases receive their collaborators and ``now`` from their caller.

A use case takes an open unit of work (and the keyring, calendar or settings it needs)
rather than the whole ``Container``, and ``now: datetime`` as a required keyword rather
than reading a clock: its entry point (a route, a CLI command, a scheduler job) reads the
clock once, so one transaction stamps every record with the same time.

No use case takes the container, nor imports the composition root. ``CLOCK_NOT_YET``
lists the modules that still read a clock they are given, each group with its reason. A
new entry needs a reason in review.
"""

from __future__ import annotations

import ast
from collections.abc import Collection
from pathlib import Path

import codeservice.services

SERVICES = Path(codeservice.services.__file__).parent
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

# What still reads a clock: the rotation's batch clock, or the collector's scrape clock.
CLOCK_NOT_YET = {
    *BATCH_CLOCK,
    *SCRAPE_CLOCK,
}


def _modules() -> list[tuple[str, ast.Module]]:
    return [
        (name, ast.parse(path.read_text(encoding="utf-8"), filename=name))
        for path in sorted(SERVICES.rglob("*.py"))
        for name in [str(path.relative_to(SERVICES))]
    ]


def _functions(
    excepted: Collection[str] = (),
) -> list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """Every function of the use cases, but those ``excepted`` (a module, or
    ``module:function``)."""
    found = []
    for name, tree in _modules():
        if name in excepted:
            continue
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


def test_no_use_case_imports_the_composition_root() -> None:
    found = [
        f"{name} line {node.lineno}"
        for name, tree in _modules()
        for node in ast.walk(tree)
        if (isinstance(node, ast.ImportFrom) and node.module == "codeservice.bootstrap")
        or (
            isinstance(node, ast.Import)
            and any(alias.name == "codeservice.bootstrap" for alias in node.names)
        )
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

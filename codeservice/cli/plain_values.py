"""Plain command-line values without pydantic.

typer converts every parameter's value with a pydantic ``TypeAdapter``, which it builds
the first time the parameter is seen — ``--help`` left unset included. Importing pydantic
and building the adapters was ~0.1 s of every command's start-up: more than a third of
what typer costs. Most values need no converting: a flag is already a bool, a default is
already of its type, an argument declared ``str`` is a str. ``use_plain_values()`` has
typer pass those through as they are, and turn digits into an ``int`` (what pydantic
gives for them too, within the parameter's range); any other value — one out of range
included — or a parameter with a parser, a choice or a file, goes to typer's own
conversion as before, built when it is first needed, so its checks and its error
messages are unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

_PLAIN_TYPES = (bool, int, str)
_BASE_FIELDS = {"parameter_info", "annotation"}  # typer 0.29's RuntimeParam


def use_plain_values() -> None:
    """Install the pass-through for plain values; does nothing if this release of typer
    is not shaped as expected (its own conversion then runs for every value)."""
    try:
        from typer import _coercion, core
    except ImportError:
        return
    build = getattr(core, "build_runtime_param", None)
    base = getattr(_coercion, "RuntimeParam", None)
    if build is None or base is None or getattr(build, "plain_values", False):
        return
    if not is_dataclass(base) or {f.name for f in fields(base)} != _BASE_FIELDS:
        return  # a typer whose runtime parameters look otherwise: leave it as it is
    typers_own: Callable[[Any], Any] = build

    @dataclass(frozen=True)
    class PlainRuntimeParam(base):  # type: ignore[misc,valid-type]
        descriptor: Any = None
        built: list[Any] = field(default_factory=list)  # typer's own conversion, once built

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            if type(value) is self.annotation:
                return value
            if self.annotation is int and isinstance(value, str) and _digits(value):
                number = int(value)
                if _within(number, self.parameter_info):
                    return number  # out of range: typer's own conversion says so
            if not self.built:
                self.built.append(typers_own(self.descriptor))
            return self.built[0]._coerce_value(value, param=param, ctx=ctx)

    def build_runtime_param(descriptor: Any) -> Any:
        if not _plain(descriptor):
            return typers_own(descriptor)
        return PlainRuntimeParam(
            parameter_info=descriptor.parameter_info,
            annotation=descriptor.annotation,
            descriptor=descriptor,
        )

    build_runtime_param.plain_values = True  # type: ignore[attr-defined]
    setattr(core, "build_runtime_param", build_runtime_param)  # noqa: B010


def _plain(descriptor: Any) -> bool:
    info = descriptor.parameter_info
    bounded = getattr(info, "min", None) is not None or getattr(info, "max", None) is not None
    return (
        descriptor.annotation in _PLAIN_TYPES
        and getattr(descriptor, "file_annotation", None) is None
        and getattr(info, "parser", None) is None
        and (descriptor.annotation is int or not bounded)  # an int's bounds: _within
    )


def _within(number: int, info: Any) -> bool:
    low, high = getattr(info, "min", None), getattr(info, "max", None)
    return (low is None or number >= low) and (high is None or number <= high)


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()

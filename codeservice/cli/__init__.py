"""The ``codeservice`` command. Each area of the service has its own module.

A command's module is imported only when that command runs (or ``--help`` lists it):
``mail send`` does not pay for the register, the incident reports or the web app's
command before it starts sending.
"""

from __future__ import annotations

import gc

# What the imports below load (typer, rich, SQLAlchemy: most of a command's start-up)
# lives as long as the process. The cyclic garbage collector, left on, walked it again
# and again while it loaded: a tenth of an empty `mail send --once`'s CPU. So it is
# paused while they load, what they loaded is frozen out of its reach (no collection
# walks it again, the one at exit included), and it runs again as before.
_collecting = gc.isenabled()
gc.disable()

import importlib  # noqa: E402
import importlib.util  # noqa: E402
import inspect  # noqa: E402
import logging  # noqa: E402
import sys  # noqa: E402
from typing import Any  # noqa: E402

import typer  # noqa: E402
from typer.core import TyperGroup  # noqa: E402

from codeservice.cli.common import console_error, unexpected_error  # noqa: E402
from codeservice.cli.plain_values import use_plain_values  # noqa: E402
from codeservice.errors import CodeserviceError  # noqa: E402

log = logging.getLogger("codeservice.cli")
use_plain_values()
gc.freeze()
if _collecting:
    gc.enable()


class _Group(TyperGroup):
    """Turns errors into a message and an exit code — never a traceback.

    Our own errors say what to do; anything else (a database out of reach, a file
    this user may not open, a fault of ours) gets a one-line message saying what to
    do, and the traceback goes to the log at DEBUG level only.
    """

    # ``ctx`` is a click Context; newer typer releases bring their own copy of click,
    # so the annotation names no particular one.
    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except CodeserviceError as exc:
            message = str(exc)
            where = _parameter_named(self, ctx, getattr(exc, "field", None))
            console_error(f"{where}: {message}" if where else message)
            for problem in getattr(exc, "problems", []):
                if problem not in message:  # each problem once, never repeated
                    console_error(problem, prefix="")
            raise typer.Exit(exc.exit_code) from None
        except Exception as exc:
            if _belongs_to_click(exc) or isinstance(exc, BrokenPipeError):
                # Output piped to a reader that stopped (`| head`): click's own
                # handling ends the command quietly, as other commands do.
                raise
            log.debug("command %s failed", ctx.info_name, exc_info=True)
            message, exit_code = unexpected_error(exc)
            console_error(message)
            raise typer.Exit(exit_code) from None


def _parameter_named(group: TyperGroup, ctx: Any, field: str | None) -> str | None:
    """``--reason`` (an option) or ``PROVIDER`` (an argument): what carried the value an
    ``InputError`` names, on the command that was running; None if no parameter did."""
    name = ctx.invoked_subcommand
    command = group.get_command(ctx, name) if field and name else None
    for param in getattr(command, "params", None) or []:
        if param.name == field:
            if getattr(param, "param_type_name", "") == "option" and param.opts:
                return str(param.opts[0])
            return str(field).upper()
    return None


def _belongs_to_click(exc: Exception) -> bool:
    """Exit, Abort and usage errors: click prints and exits for those itself."""
    module = type(exc).__module__
    return module.startswith(("click", "typer"))


# The top-level commands, in the order ``--help`` lists them, each with the module of
# codeservice.cli that defines it: its ``register(app)`` adds the command, or, for a
# group of commands (``mail send``, ``mail list`` ...), its ``app`` is the group.
_COMMANDS: dict[str, str] = {
    "init": "setup",
    "cycles": "cycles",
    "rotate": "distribution",
    "status": "distribution",
    "reissue": "reissue",
    "web": "web",
    "serve": "serve",
    "worker": "serve",
    "scheduler": "serve",
    "backup": "backup",
    "restore": "backup",
}
_GROUPS = (
    "providers", "keys", "audit", "mail", "incidents", "helpline", "users", "tokens", "codes",
    "retention",
)  # fmt: skip


class _Root(_Group):
    """The top level: each command built from its module when it is first asked for."""

    def list_commands(self, ctx: Any) -> list[str]:
        return [*_COMMANDS, *_GROUPS]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands:
            if cmd_name not in _COMMANDS and cmd_name not in _GROUPS:
                # A typo: load them all, so that the error can suggest the nearest.
                for name in self.list_commands(ctx):
                    self.get_command(ctx, name)
                return None
            self.commands[cmd_name] = _load(cmd_name)
        return self.commands[cmd_name]


def _load(name: str) -> Any:
    holder = typer.Typer()
    if name in _GROUPS:
        holder.add_typer(
            importlib.import_module(f"codeservice.cli.{name}").app, name=name, cls=_Group
        )
    else:
        importlib.import_module(f"codeservice.cli.{_COMMANDS[name]}").register(holder)
    return _unwrapped(typer.main.get_group(holder).commands[name])


def _unwrapped(command: Any) -> Any:
    """``command`` (and, for a group, each of its commands) with each paragraph of its
    help on one line. typer's help keeps a docstring's line breaks as they are, so a
    summary wrapped to fit the source broke mid-sentence in ``--help`` ("until
    SIGTERM⏎or Ctrl-C"); the terminal wraps it instead."""
    if command.help:
        paragraphs = inspect.cleandoc(command.help).split("\n\n")
        command.help = "\n\n".join(" ".join(paragraph.split()) for paragraph in paragraphs)
    for subcommand in getattr(command, "commands", {}).values():
        _unwrapped(subcommand)
    return command


app = typer.Typer(
    name="codeservice",
    cls=_Root,
    help="Secure monthly distribution of Provider Direct access codes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    # A callback makes the top level a group of commands, which _Root fills on demand.
    pass


def main() -> None:
    _main_is_the_package()
    app()


def _main_is_the_package() -> None:
    """The ``codeservice`` script is ``python -m codeservice`` by another name: say so in
    ``__main__``'s spec. A rotation's document workers (multiprocessing) then leave the
    main module alone, as they do under ``python -m``, instead of running the script
    again as ``__mp_main__``: they need nothing of the command line, and importing it
    cost each of them (or the forkserver) ~0.4 s of CPU."""
    main_module = sys.modules.get("__main__")
    if main_module is not None and getattr(main_module, "__spec__", None) is None:
        main_module.__spec__ = importlib.util.find_spec("codeservice.__main__")

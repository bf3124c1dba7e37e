"""The ``codeservice`` command. Each area of the service has its own module."""

from __future__ import annotations

import logging
from typing import Any

import typer
from typer.core import TyperGroup

from codeservice.cli import (
    audit,
    backup,
    codes,
    cycles,
    distribution,
    incidents,
    keys,
    mail,
    providers,
    reissue,
    retention,
    serve,
    setup,
    tokens,
    users,
    web,
)
from codeservice.cli.common import console_error, unexpected_error
from codeservice.errors import CodeserviceError

log = logging.getLogger("codeservice.cli")


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
            if _belongs_to_click(exc):
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


app = typer.Typer(
    name="codeservice",
    cls=_Group,
    help="Secure monthly distribution of Provider Direct access codes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
setup.register(app)
cycles.register(app)
distribution.register(app)
reissue.register(app)
web.register(app)
serve.register(app)
backup.register(app)
app.add_typer(providers.app, name="providers", cls=_Group)
app.add_typer(keys.app, name="keys", cls=_Group)
app.add_typer(audit.app, name="audit", cls=_Group)
app.add_typer(mail.app, name="mail", cls=_Group)
app.add_typer(incidents.app, name="incidents", cls=_Group)
app.add_typer(users.app, name="users", cls=_Group)
app.add_typer(tokens.app, name="tokens", cls=_Group)
app.add_typer(codes.app, name="codes", cls=_Group)
app.add_typer(retention.app, name="retention", cls=_Group)


def main() -> None:
    app()

"""``codeservice reissue REF``: replace a provider's codes at once (§53)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer

from codeservice.cli.common import cli_actor, container, stdout
from codeservice.domain.wording import moment_text, plural

if TYPE_CHECKING:
    from codeservice.services.incidents.reissue_views import ReissueReport


def register(app: typer.Typer) -> None:
    app.command("reissue")(reissue)


def reissue(
    provider: Annotated[str, typer.Argument(help="The prime provider's ref.")],
    incident: Annotated[
        str | None,
        typer.Option("--incident", help="The report that calls for it, e.g. INC-2027-0042."),
    ] = None,
    reason: Annotated[
        str | None,
        typer.Option("--reason", help="Why (recorded; required without --incident)."),
    ] = None,
) -> None:
    """Revoke every code of the provider that has not ended and send replacements now.

    With --incident the report is decided "reissue" (if it was not already). Running it
    again, or after it was interrupted, never replaces a code twice.
    """
    from codeservice.errors import InputError
    from codeservice.services.incidents.reissue import (
        complete_reissue,
        request_provider_reissue,
    )
    from codeservice.services.incidents.triage import decide_report
    from codeservice.services.incidents.views import get_report

    app_ = container()
    actor = cli_actor()
    now = app_.now()
    if incident is None:
        if not reason:
            raise InputError("give --incident REFERENCE, or --reason TEXT without a report")
        with app_.transaction() as uow:
            reissue_id = request_provider_reissue(
                uow, provider, reason=reason, actor=actor, now=now
            )
        report = complete_reissue(
            app_.read_uow, app_.uow, app_.issuer, reissue_id, actor=actor, source="cli", now=now
        )
    else:
        with app_.read_uow() as uow:
            view = get_report(uow, incident)
        if view.provider_ref.casefold() != provider.strip().casefold():
            raise InputError(
                f"{view.reference} is about {view.provider_ref} ({view.provider_name}), "
                f"not {provider}"
            )
        with app_.transaction() as uow:
            decision = decide_report(
                uow,
                app_.keyring,
                incident,
                decision="reissue",
                reason=reason or f"Code reissued with `codeservice reissue {view.provider_ref}`",
                actor=actor,
                source="cli",
                now=now,
            )
        assert decision.reissue_id is not None
        report = complete_reissue(
            app_.read_uow,
            app_.uow,
            app_.issuer,
            decision.reissue_id,
            actor=actor,
            source="cli",
            now=now,
        )
    print_reissue(report, app_.settings.tz)


def print_reissue(report: ReissueReport, tz: ZoneInfo) -> None:
    about = f"{report.provider_name} ({report.provider_ref})"
    if report.covered_by is not None:
        stdout.print(
            f"Reissue #{report.reissue_id} for {about}: nothing left to do, reissue "
            f"#{report.covered_by} already replaced its codes after it was asked for.",
            highlight=False,
        )
        return
    if report.already_done:
        stdout.print(
            f"Reissue #{report.reissue_id} for {about} was already completed"
            + (f" on {moment_text(report.completed_at, tz)}" if report.completed_at else "")
            + "; nothing was changed.",
            highlight=False,
        )
    else:
        stdout.print(
            f"Reissue #{report.reissue_id} for {about}: {plural(len(report.replaced), 'code')} "
            f"revoked and replaced, {plural(report.emails_queued, 'email')} queued.",
            highlight=False,
        )
    stdout.print(_cancelled_line(report), highlight=False)
    for replaced in report.replaced:
        stdout.print(
            f"  {replaced.cycle}: {replaced.revoked_document_ref} revoked, replaced by "
            f"{replaced.new_document_ref} ({replaced.new_state}, in use from "
            f"{moment_text(replaced.active_from, tz)})",
            highlight=False,
        )
    if not report.already_done and report.replaced and report.spocs == 0:
        stdout.print(
            f"[yellow]warning:[/] {report.provider_ref} has no active SPoC; nobody was sent "
            "the new code.",
            markup=True,  # ours; a ref holds no brackets
        )
    if not report.already_done and report.emails_queued:
        stdout.print("Send them with: codeservice mail send", highlight=False)


def _cancelled_line(report: ReissueReport) -> str:
    count = report.emails_cancelled
    emails = "email" if count == 1 else "emails"
    was = "was" if count == 1 else "were"
    return (
        f"{count} unsent {emails} of the revoked code {was} cancelled "
        "(documents, unlock codes and reminders that will now never go)."
    )

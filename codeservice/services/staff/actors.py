"""Who did something, named as people know them: the audit trail stores actor ids
(``user:sam.sec``, ``spoc:7``, ``cli:root``); pages, commands and emails show names."""

from __future__ import annotations

from collections.abc import Iterable

from codeservice.domain.wording import actor_text
from codeservice.storage.uow import UnitOfWork


def actor_names(uow: UnitOfWork, actors: Iterable[str | None]) -> dict[str, str]:
    """Each actor id given, with the words to show for it (see ``actor_text``)."""
    known: dict[str, str] = {}
    wanted = {actor for actor in actors if actor}
    for actor in wanted:
        kind, _, ident = actor.partition(":")
        if kind == "user":
            user = uow.accounts.user_named(ident)
            if user is not None and user.display_name:
                known[actor] = user.display_name
        elif kind == "spoc" and ident.isdigit():
            spoc = uow.register.spoc_by_id(int(ident))
            if spoc is not None:
                known[actor] = f"{spoc.name} ({spoc.email}), SPoC"
    return {actor: actor_text(actor, known) for actor in wanted}

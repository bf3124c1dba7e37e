"""The helpline's use cases called with a container, as an entry point calls them: its
unit of work, its helpdesk and one reading of its clock (unless the test gives ``now``)."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from random import Random

from codeservice.bootstrap import Container
from codeservice.domain.challenges import Result
from codeservice.services import helpline
from codeservice.services.helpline import (
    SOURCE,
    ChallengeView,
    ExposureView,
    LockView,
    resolve_ref,
)


def start_challenge(
    container: Container,
    query: str,
    *,
    agent: str,
    now: datetime | None = None,
    source: str = SOURCE,
    rng: Random | None = None,
) -> ChallengeView:
    return helpline.start_challenge(
        container.uow,
        container.helpdesk,
        query,
        resolve=partial(resolve_ref, container.read_uow),
        agent=agent,
        now=now or container.now(),
        source=source,
        rng=rng,
    )


def answer_challenge(
    container: Container,
    challenge_id: str,
    characters: str,
    *,
    agent: str,
    now: datetime | None = None,
    source: str = SOURCE,
) -> Result:
    return helpline.answer_challenge(
        container.uow,
        container.helpdesk,
        challenge_id,
        characters,
        agent=agent,
        now=now or container.now(),
        source=source,
    )


def verification_locks(container: Container, now: datetime | None = None) -> list[LockView]:
    with container.read_uow() as uow:
        return helpline.verification_locks(uow, container.helpdesk.tz, now=now or container.now())


def exposure_report(container: Container, now: datetime) -> list[ExposureView]:
    with container.read_uow() as uow:
        return helpline.exposure_report(uow, limit=container.helpdesk.exposure_limit, now=now)


def unlock_verification(container: Container, prime_ref: str, *, actor: str, now: datetime) -> None:
    with container.uow() as uow:
        helpline.unlock_verification(uow, container.helpdesk, prime_ref, actor=actor, now=now)

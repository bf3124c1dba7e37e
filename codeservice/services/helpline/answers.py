"""§22–23: the caller's three characters against the code in force: pass or fail.

The code is opened in memory only to compare, then dropped. Neither it nor what the
caller said is returned, logged or audited — only positions and the result. A refused
answer (unknown, answered, expired, locked, not three characters) is audited and
raised, and leaves the challenge as it was.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from codeservice import metrics
from codeservice.bootstrap import Container
from codeservice.domain import challenges as rules
from codeservice.domain.audit import AuditTag
from codeservice.domain.challenges import (
    FAIL,
    PASS,
    ChallengeAnswered,
    ChallengeExpired,
    ChallengeNotFound,
    Result,
)
from codeservice.errors import CodeserviceError
from codeservice.services.distribution.codes import reveal_access_code
from codeservice.services.helpline.challenges import code_for_answering, refused
from codeservice.services.helpline.locks import SOURCE, ensure_lock, locked_error
from codeservice.services.operations import audit
from codeservice.storage.models import Provider
from codeservice.storage.uow import UnitOfWork

log = logging.getLogger(__name__)


def answer_challenge(
    container: Container,
    challenge_id: str,
    characters: str,
    *,
    agent: str,
    now: datetime | None = None,
    source: str = SOURCE,
) -> Result:
    """Compare the caller's three characters with the code in force now; pass or fail."""
    now = now or container.now()
    with container.uow() as uow:
        return answer_challenge_in(
            uow, container, challenge_id, characters, agent=agent, now=now, source=source
        )


def answer_challenge_in(
    uow: UnitOfWork,
    container: Container,
    challenge_id: str,
    characters: str,
    *,
    agent: str,
    now: datetime,
    source: str = SOURCE,
) -> Result:
    """``answer_challenge`` in the caller's open unit of work (the API's: its token was
    checked in it), committed here."""
    details: dict[str, Any] = {}
    try:
        result, prime = _answer(
            uow,
            container,
            challenge_id,
            characters,
            details,
            agent=agent,
            source=source,
            now=now,
        )
    except CodeserviceError as error:
        refused(
            uow,
            container,
            AuditTag.HELPLINE_ANSWER_REJECT,
            error,
            details,
            agent,
            source,
            now,
        )
        metrics.HELPLINE_CHECKS.labels("refused").inc()
        raise
    audit.event(
        uow,
        container.keyring,
        AuditTag.HELPLINE_CHALLENGE_ANSWER,
        actor=agent,
        source=source,
        now=now,
        **details,
    )
    if result == FAIL:
        ensure_lock(uow, container, prime, now=now, agent=agent, source=source)
    uow.commit()
    metrics.HELPLINE_CHECKS.labels(result).inc()
    log.info("helpline challenge %s for %s: %s", challenge_id, details["prime"], result)
    return result


def _answer(
    uow: UnitOfWork,
    container: Container,
    challenge_id: str,
    characters: str,
    details: dict[str, Any],
    *,
    agent: str,
    source: str,
    now: datetime,
) -> tuple[Result, Provider]:
    uow.helpline.lock_prime_of(challenge_id)
    # Read once the provider's lock is ours (PostgreSQL): as it is now, prime included.
    challenge = uow.helpline.challenge_with_providers(challenge_id)
    if challenge is None:
        raise ChallengeNotFound("there is no such challenge; start a new one")
    prime = challenge.provider
    details.update(
        challenge=challenge.id,
        provider=challenge.asked_for.ref,
        prime=prime.ref,
        positions=challenge.positions,
    )
    if challenge.answered_at is not None:
        raise ChallengeAnswered("this challenge has already been answered; start a new one")
    if now >= challenge.expires_at:
        raise ChallengeExpired("this challenge has expired; start a new one")
    if ensure_lock(uow, container, prime, now=now, agent=agent, source=source) is not None:
        raise locked_error(prime, container, now)
    given = rules.normalise_answer(characters)
    code = code_for_answering(uow, prime, now)
    positions = rules.parse_positions(challenge.positions)
    matched = rules.answer_matches(reveal_access_code(container.keyring, code), positions, given)
    result: Result = PASS if matched else FAIL
    if not uow.helpline.record_answer(challenge, result=result, code_id=code.id, now=now):
        raise ChallengeAnswered("this challenge has already been answered; start a new one")
    details.update(result=result, document_ref=code.document_ref)
    return result, prime

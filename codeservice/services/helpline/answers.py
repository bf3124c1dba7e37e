"""§22–23: the caller's three characters against the code in force: pass or fail.

The code is opened in memory only to compare, then dropped. Neither it nor what the
caller said is returned, logged or audited — only positions and the result. A refused
answer (unknown, answered, expired, locked, not three characters) is audited and
raised, and leaves the challenge as it was.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from codeservice import metrics
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
from codeservice.services.distribution.codes import open_access_code
from codeservice.services.helpline.challenges import code_for_answering
from codeservice.services.helpline.desk import Helpdesk
from codeservice.services.helpline.locks import SOURCE, ensure_lock, locked_error
from codeservice.services.helpline.refusals import refused
from codeservice.services.operations import audit
from codeservice.storage.repositories.helpline_rows import CodeRow, ProviderName
from codeservice.storage.uow import UnitOfWork

log = logging.getLogger(__name__)


def answer_challenge(
    uows: Callable[[], UnitOfWork],
    desk: Helpdesk,
    challenge_id: str,
    characters: str,
    *,
    agent: str,
    now: datetime,
    source: str = SOURCE,
) -> Result:
    """Compare the caller's three characters with the code in force now; pass or fail."""
    with uows() as uow:
        return answer_challenge_in(
            uow, desk, challenge_id, characters, agent=agent, now=now, source=source
        )


def answer_challenge_in(
    uow: UnitOfWork,
    desk: Helpdesk,
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
        result, prime, answered = _answer(
            uow,
            desk,
            challenge_id,
            characters,
            details,
            agent=agent,
            source=source,
            now=now,
        )
        # On PostgreSQL the answer is taken in this record's statement, which raises
        # ChallengeAnswered (appending nothing) if another answer took it first.
        audit.event(
            uow,
            desk.keyring,
            AuditTag.HELPLINE_CHALLENGE_ANSWER,
            actor=agent,
            source=source,
            now=now,
            **details,
            **answered,
        )
    except CodeserviceError as error:
        refused(
            uow,
            desk.keyring,
            AuditTag.HELPLINE_ANSWER_REJECT,
            error,
            details,
            agent,
            source,
            now,
        )
        metrics.HELPLINE_CHECKS.labels("refused").inc()
        raise
    if result == FAIL:
        ensure_lock(uow, desk, prime, now=now, agent=agent, source=source)
    uow.commit()
    metrics.HELPLINE_CHECKS.labels(result).inc()
    log.info("helpline challenge %s for %s: %s", challenge_id, details["prime"], result)
    return result


def _answer(
    uow: UnitOfWork,
    desk: Helpdesk,
    challenge_id: str,
    characters: str,
    details: dict[str, Any],
    *,
    agent: str,
    source: str,
    now: datetime,
) -> tuple[Result, ProviderName, dict[str, Any]]:
    """The result, the prime provider and what the answer's audit record adds to
    ``details`` (which holds what a refusal's record says). The answer is taken by
    ``take_answer``: the caller appends its audit record next."""
    uow.helpline.lock_prime_of(challenge_id)
    # Read once the provider's lock is ours (PostgreSQL): as it is now, prime included.
    day = rules.local_day(now, desk.tz)
    challenge = uow.helpline.challenge_to_answer(
        challenge_id, day=day, day_start=rules.start_of_day(day, desk.tz), now=now
    )
    if challenge is None:
        raise ChallengeNotFound("there is no such challenge; start a new one")
    prime = challenge.prime
    details.update(
        challenge=challenge.id,
        provider=challenge.asked.ref,
        prime=prime.ref,
        positions=challenge.positions,
    )
    if challenge.answered_at is not None:
        raise ChallengeAnswered("this challenge has already been answered; start a new one")
    if now >= challenge.expires_at:
        raise ChallengeExpired("this challenge has expired; start a new one")
    state = challenge.state
    if ensure_lock(uow, desk, prime, now=now, agent=agent, source=source, state=state.lock):
        raise locked_error(prime, desk.tz, now)
    given = rules.normalise_answer(characters)
    code = code_for_answering(state.code, prime)
    positions = rules.parse_positions(challenge.positions)
    matched = rules.answer_matches(_reveal(desk, prime, code), positions, given)
    result: Result = PASS if matched else FAIL
    uow.helpline.take_answer(challenge.id, result=result, code_id=code.id, now=now)
    return result, prime, {"result": result, "document_ref": code.document_ref}


def _reveal(desk: Helpdesk, prime: ProviderName, code: CodeRow) -> str:
    """The code in force, opened in memory to compare (the prime provider's own code)."""
    return open_access_code(desk.keyring, prime.ref, str(code.cycle), code.sealed_code)

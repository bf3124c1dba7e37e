"""§22: a challenge puts three positions of the prime provider's code to the caller.

The code in force is never shown: only positions leave this module. A refusal (not
eligible, locked, no code in force) is audited, then raised.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from random import Random
from typing import Any, Literal, cast

from codeservice.domain import challenges as rules
from codeservice.domain.audit import AuditTag
from codeservice.domain.challenges import (
    ChallengeNotFound,
    NoCodeInForce,
    NotEligible,
    PastChallenge,
    Positions,
    Result,
)
from codeservice.domain.text import check_usable
from codeservice.errors import CodeserviceError
from codeservice.services.helpline.desk import Helpdesk
from codeservice.services.helpline.eligibility import organisation
from codeservice.services.helpline.locks import SOURCE, ensure_lock, locked_error
from codeservice.services.helpline.refusals import refused
from codeservice.services.operations import audit
from codeservice.storage.models import AccessCode, Challenge, Provider
from codeservice.storage.repositories.helpline_rows import (
    AskedRow,
    CodeRow,
    PastRow,
    ProviderName,
)
from codeservice.storage.uow import UnitOfWork

log = logging.getLogger(__name__)

ChallengeState = Literal["open", "answered", "expired"]


@dataclass(frozen=True)
class ChallengeView:
    id: str
    positions: Positions
    expires_at: datetime
    provider_ref: str
    prime_ref: str
    provider_name: str
    prime_name: str
    positions_reused: bool = False


@dataclass(frozen=True)
class ChallengeStatus:
    """A challenge as the console shows it again: never the code, only how it stands."""

    challenge: ChallengeView
    state: ChallengeState
    result: Result | None


def code_in_force(uow: UnitOfWork, prime_id: int, now: datetime) -> AccessCode | None:
    """The prime provider's code valid at ``now``: its cycle's (switching at 00:00 on the
    activation Monday), or the replacement from the moment of a reissue."""
    return uow.helpline.code_in_force(prime_id, now)


def start_challenge(
    uows: Callable[[], UnitOfWork],
    desk: Helpdesk,
    provider_query_or_ref: str,
    *,
    resolve: Callable[[str], str | None],
    agent: str,
    now: datetime,
    source: str = SOURCE,
    rng: Random | None = None,
) -> ChallengeView:
    """Check the caller's organisation and pick the three positions to ask for.

    ``resolve``: the one register entry a name or ref names (``resolve_ref``)."""
    query = check_usable(
        provider_query_or_ref.strip(), field="provider", label="the organisation's name or ref"
    )
    with uows() as uow:  # an exact ref (the API's case): one transaction
        asked = uow.helpline.asked_and_locked(query)
        if asked is not None:
            return _start_audited(uow, desk, asked, query, agent, source, now, rng)
    # A search is not made while holding the write lock (SQLite's: one writer).
    ref = resolve(query)
    with uows() as uow:
        asked = None if ref is None else uow.helpline.asked_and_locked(ref)
        return _start_audited(uow, desk, asked, ref, agent, source, now, rng)


def start_challenge_in(
    uow: UnitOfWork,
    desk: Helpdesk,
    provider_ref: str,
    *,
    resolve: Callable[[str], str | None],
    agent: str,
    now: datetime,
    source: str = SOURCE,
) -> ChallengeView:
    """``start_challenge`` in the caller's open unit of work (the API's: its token was
    checked in it), committed here. Meant for an exact ref; anything else is resolved
    as the console's query is, with the transaction held open meanwhile."""
    query = check_usable(
        provider_ref.strip(), field="provider", label="the organisation's name or ref"
    )
    asked = uow.helpline.asked_and_locked(query)
    ref: str | None = query
    if asked is None:
        ref = resolve(query)
        asked = None if ref is None else uow.helpline.asked_and_locked(ref)
    return _start_audited(uow, desk, asked, ref, agent, source, now, None)


def _start_audited(
    uow: UnitOfWork,
    desk: Helpdesk,
    asked: AskedRow | None,
    ref: str | None,
    agent: str,
    source: str,
    now: datetime,
    rng: Random | None,
) -> ChallengeView:
    """Start it and audit it, or audit the refusal and raise it."""
    details: dict[str, Any] = {"provider": ref}
    try:
        view = _start(uow, desk, asked, details, agent=agent, source=source, now=now, rng=rng)
    except CodeserviceError as error:
        refused(
            uow,
            desk.keyring,
            AuditTag.HELPLINE_CHALLENGE_REFUSE,
            error,
            details,
            agent,
            source,
            now,
        )
        raise
    audit.event(
        uow,
        desk.keyring,
        AuditTag.HELPLINE_CHALLENGE_CREATE,
        actor=agent,
        source=source,
        now=now,
        **details,
    )
    uow.commit()
    log.info(
        "helpline challenge %s for %s (prime %s): positions %s",
        view.id,
        view.provider_ref,
        view.prime_ref,
        details["positions"],
    )
    return view


def _start(
    uow: UnitOfWork,
    desk: Helpdesk,
    asked: AskedRow | None,
    details: dict[str, Any],
    *,
    agent: str,
    source: str,
    now: datetime,
    rng: Random | None,
) -> ChallengeView:
    reason = rules.ineligibility(None if asked is None else organisation(asked))
    if asked is None or reason is not None:
        reason = details["reason"] = reason or rules.NOT_LISTED
        raise NotEligible(
            "no organisation of that name or ref is on the approved provider list"
            if asked is None
            else f"{asked.name} ({asked.ref}) cannot use Provider Direct: {reason}",
            reason,
        )
    prime = asked.prime
    assert prime is not None  # ineligibility() refuses a subcontractor without a prime
    details["prime"] = prime.ref
    uow.helpline.lock_prime(prime.id)
    day = rules.local_day(now, desk.tz)
    # Read once the provider's lock is ours (PostgreSQL): as it is now.
    state = uow.helpline.prime_state(
        prime.id, day=day, day_start=rules.start_of_day(day, desk.tz), now=now
    )
    if ensure_lock(uow, desk, prime, now=now, agent=agent, source=source, state=state.lock):
        raise locked_error(prime, desk.tz, now)
    code = code_for_answering(state.code, prime)
    latest = state.latest
    reused = rules.positions_to_reuse(None if latest is None else past(latest), now)
    positions = reused or rules.draw_positions(**({} if rng is None else {"rng": rng}))
    challenge = Challenge(
        id=secrets.token_urlsafe(16),
        provider_id=prime.id,
        asked_for_provider_id=asked.id,
        access_code_id=code.id,
        agent=agent,
        positions=rules.format_positions(positions),
        created_at=now,
        expires_at=now + timedelta(minutes=desk.challenge_minutes),
    )
    uow.helpline.add_challenge(challenge, with_audit=True)  # appended next, by the caller
    details.update(
        challenge=challenge.id,
        positions=challenge.positions,
        positions_reused=reused is not None,
        document_ref=code.document_ref,
    )
    return _view(challenge, positions, reused=reused is not None, asked=asked, prime=prime)


def get_challenge(uow: UnitOfWork, challenge_id: str, *, now: datetime) -> ChallengeStatus:
    """A challenge's positions and how it stands, for showing it again; changes nothing."""
    challenge = uow.helpline.get_challenge(challenge_id)
    if challenge is None:
        raise ChallengeNotFound("there is no such challenge; start a new one")
    positions = rules.parse_positions(challenge.positions)
    # The challenge before this one for the same prime says whether its positions
    # were forced by a fail (§23) rather than drawn.
    before = uow.helpline.challenge_before(challenge)
    reused = (
        before is not None
        and rules.positions_to_reuse(past(before), challenge.created_at) == positions
    )
    state: ChallengeState = (
        "answered"
        if challenge.answered_at is not None
        else "expired"
        if now >= challenge.expires_at
        else "open"
    )
    result = cast("Result | None", challenge.result)  # the table allows only these
    return ChallengeStatus(_view(challenge, positions, reused=reused), state, result)


def _view(
    challenge: Challenge,
    positions: Positions,
    *,
    reused: bool,
    asked: AskedRow | Provider | None = None,
    prime: ProviderName | Provider | None = None,
) -> ChallengeView:
    """``asked`` and ``prime``: the challenge's providers, for one just added (not
    loaded: ``add_challenge`` leaves it detached)."""
    asked = asked or challenge.asked_for
    prime = prime or challenge.provider
    return ChallengeView(
        id=challenge.id,
        positions=positions,
        expires_at=challenge.expires_at,
        provider_ref=asked.ref,
        prime_ref=prime.ref,
        provider_name=asked.name,
        prime_name=prime.name,
        positions_reused=reused,
    )


def code_for_answering(code: CodeRow | None, prime: ProviderName) -> CodeRow:
    if code is None:
        raise NoCodeInForce(
            f"no access code is in force for {prime.name} ({prime.ref}), so the caller "
            "cannot be verified; tell the Business Management Team"
        )
    return code


def past(challenge: Challenge | PastRow) -> PastChallenge:
    return PastChallenge(
        positions=rules.parse_positions(challenge.positions),
        created_at=challenge.created_at,
        answered_at=challenge.answered_at,
        result=challenge.result,
    )

"""Helpline verification (§21–23): eligibility, challenges, answers, locks, exposure.

An agent checks a caller without ever seeing the provider's code: the code in force is
opened in memory only to compare three characters, then dropped. No code character and
nothing the caller said is returned, logged or audited — only positions and results.
"""

from __future__ import annotations

from codeservice.services.helpline.answers import answer_challenge, answer_challenge_in
from codeservice.services.helpline.challenges import (
    ChallengeState,
    ChallengeStatus,
    ChallengeView,
    code_in_force,
    get_challenge,
    start_challenge,
    start_challenge_in,
)
from codeservice.services.helpline.desk import Helpdesk
from codeservice.services.helpline.eligibility import (
    EligibilityView,
    resolve_ref,
    search_providers,
)
from codeservice.services.helpline.exposure import ExposureView, exposure_report
from codeservice.services.helpline.locks import (
    SOURCE,
    LockView,
    unlock_verification,
    unlocked_today,
    verification_locks,
)

__all__ = [
    "SOURCE",
    "ChallengeState",
    "ChallengeStatus",
    "ChallengeView",
    "EligibilityView",
    "ExposureView",
    "Helpdesk",
    "LockView",
    "answer_challenge",
    "answer_challenge_in",
    "code_in_force",
    "exposure_report",
    "get_challenge",
    "resolve_ref",
    "search_providers",
    "start_challenge",
    "start_challenge_in",
    "unlock_verification",
    "unlocked_today",
    "verification_locks",
]

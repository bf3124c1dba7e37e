"""All tables, one module per aggregate.

Asking this package for a model (``from codeservice.storage.models import Provider``)
imports every module, which registers every model on ``Base.metadata`` (so does
``load_all()``). Importing one module of it (``codeservice.storage.models.audit``)
registers only that module's models and those it refers to: ``mail send`` needs only
the audit trail's, and every model's class and mapper cost its start-up CPU.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from codeservice.storage.models.accounts import ApiToken, StaffPasswordLink, StaffUser
    from codeservice.storage.models.audit import AuditRecord
    from codeservice.storage.models.codes import AccessCode
    from codeservice.storage.models.distribution import Delivery
    from codeservice.storage.models.downloads import OneTimeDownload
    from codeservice.storage.models.helpline import Challenge, VerificationLock
    from codeservice.storage.models.incidents import IncidentReport, Reissue
    from codeservice.storage.models.issue_failures import IssueFailure
    from codeservice.storage.models.notices import Notice, NoticeRecipient
    from codeservice.storage.models.register import Provider, Spoc
    from codeservice.storage.models.register_uploads import RegisterUpload
    from codeservice.storage.models.scheduler import JobRun, SchedulerLease
    from codeservice.storage.models.second_factors import (
        FactorChallenge,
        RecoveryCode,
        SecondFactor,
    )
    from codeservice.storage.models.throttles import SignInThrottle
    from codeservice.storage.models.tokens import LinkToken

# Each model, and the module (of this package) that defines it.
_MODULE_OF = {
    "AccessCode": "codes",
    "ApiToken": "accounts",
    "AuditRecord": "audit",
    "Challenge": "helpline",
    "Delivery": "distribution",
    "FactorChallenge": "second_factors",
    "IncidentReport": "incidents",
    "IssueFailure": "issue_failures",
    "JobRun": "scheduler",
    "LinkToken": "tokens",
    "Notice": "notices",
    "NoticeRecipient": "notices",
    "OneTimeDownload": "downloads",
    "RecoveryCode": "second_factors",
    "Provider": "register",
    "RegisterUpload": "register_uploads",
    "Reissue": "incidents",
    "SchedulerLease": "scheduler",
    "SecondFactor": "second_factors",
    "SignInThrottle": "throttles",
    "Spoc": "register",
    "StaffPasswordLink": "accounts",
    "StaffUser": "accounts",
    "VerificationLock": "helpline",
}

__all__ = [
    "AccessCode",
    "ApiToken",
    "AuditRecord",
    "Challenge",
    "Delivery",
    "FactorChallenge",
    "IncidentReport",
    "IssueFailure",
    "JobRun",
    "LinkToken",
    "Notice",
    "NoticeRecipient",
    "OneTimeDownload",
    "RecoveryCode",
    "Provider",
    "RegisterUpload",
    "Reissue",
    "SchedulerLease",
    "SecondFactor",
    "SignInThrottle",
    "Spoc",
    "StaffPasswordLink",
    "StaffUser",
    "VerificationLock",
]


def load_all() -> None:
    """Import every model, registering every table on ``Base.metadata``."""
    for name, module in _MODULE_OF.items():
        globals()[name] = getattr(importlib.import_module(f"{__name__}.{module}"), name)


def __getattr__(name: str) -> Any:
    if name not in _MODULE_OF:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    load_all()
    return globals()[name]

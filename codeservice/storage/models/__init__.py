"""All tables. Importing this package registers every model on ``Base.metadata``."""

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
from codeservice.storage.models.second_factors import FactorChallenge, RecoveryCode, SecondFactor
from codeservice.storage.models.throttles import SignInThrottle
from codeservice.storage.models.tokens import LinkToken

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

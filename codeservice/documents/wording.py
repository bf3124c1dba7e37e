"""The words of the access-code document, after the guidance (§22, §44–53)."""

from __future__ import annotations

INTRO = (
    "This is your organisation's access code for Provider Direct. Callers need it to pass "
    "the security check on every call."
)

CODE_INTRO = "The code is case-sensitive: capital and lower-case letters are different characters."

CODE_TABLE_DESCRIPTION = "The access code, one character per cell, with its position below."

HANDLING_RULES = (
    "Keep this document and the code secure. Share the code only with authorised people "
    "who need it, and only in a secure manner.",
    "A Provider Direct agent will ask you for three characters by their position, for "
    "example the 2nd, 5th and 8th. They will never ask for the whole code: never give the "
    "whole code to anyone.",
    "Never send the code by email, and never write it down or keep it anywhere that is not secure.",
    "Use this code only between the dates above. A new code is sent on the last Wednesday "
    "of each month, for use from the following Monday.",
)

REPORT_INTRO = (
    "Complete a Potential Security Incident proforma (Annex B) and send it to the "
    "security team straight away if:"
)

# §48, in the order of the guidance and of the proforma's reason categories.
REPORT_REASONS = (
    "a member of staff leaves without giving notice, or while subject to pending "
    "disciplinary procedures",
    "a person has been dismissed",
    "there is any reason to suspect fraudulent activity",
    "a subcontractor goes into liquidation, ceases trading or ends its subcontractor "
    "relationship with you",
    "anything else happens that could lead to a security breach.",
)

REPORT_OUTRO = (
    "This list is not exhaustive: if in doubt, report it. Use the report link in your "
    "access code email, and do not include personal details about any member of staff. "
    "If you believe a breach has already happened, also raise a security incident in the "
    "usual way."
)

NO_REPORT_NEEDED = (
    "No report is needed when someone leaves for a new job or at the end of a temporary "
    "contract and there is no reason to believe they would misuse the code."
)


def reissue_notice(reason: str) -> str:
    reason = reason.strip().rstrip(".")
    return (
        f"{reason}. This code replaces the earlier code for your organisation, which no "
        "longer works: delete the document that held it."
    )

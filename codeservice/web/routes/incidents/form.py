"""The incident report's proforma as a web form, the same whether a SPoC sends it from
their link (``report``) or the security team enters one received by email
(``entered``): its posted fields, and what its page needs to show it again with a
message per field."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Form

from codeservice.domain.incidents import MAX_DETAILS, ReasonCategory
from codeservice.domain.personal_details import PERSONAL_DETAILS_WARNING
from codeservice.services.incidents.reports import ReportForm

# Where each field's error message links to in the error summary, in the page's order.
FIELD_ANCHORS = {
    "subcontractor": "#subcontractor",
    "change_date": "#change-date-day",
    "reason": "#reason",
    "details": "#details",
}


def posted_report(
    subcontractor: Annotated[str, Form()] = "",
    day: Annotated[str, Form(alias="change-date-day")] = "",
    month: Annotated[str, Form(alias="change-date-month")] = "",
    year: Annotated[str, Form(alias="change-date-year")] = "",
    reason: Annotated[str, Form()] = "",
    details: Annotated[str, Form()] = "",
) -> ReportForm:
    return ReportForm(
        subcontractor=subcontractor,
        day=day,
        month=month,
        year=year,
        reason=reason,
        details=details,
    )


PostedReport = Annotated[ReportForm, Depends(posted_report)]


def form_context(
    form: ReportForm, errors: dict[str, str], anchors: dict[str, str] = FIELD_ANCHORS
) -> dict[str, Any]:
    """The form's fields as typed, its errors and the error summary, the reasons to
    choose from and the warning against personal details."""
    return {
        "form": form,
        "errors": errors,
        "error_list": [
            {"text": errors[field], "href": href}
            for field, href in anchors.items()
            if field in errors
        ],
        "reasons": [{"value": r.value, "text": r.label} for r in ReasonCategory],
        "max_details": MAX_DETAILS,
        "warning": PERSONAL_DETAILS_WARNING,
    }

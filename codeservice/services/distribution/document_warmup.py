"""Imported by the document workers' forkserver only, before it forks any of them.

Each thread that builds documents first prepares a template (the styled empty document
and each section as first built: ~40 ms of CPU). Built once here, in the forkserver,
it is inherited by every worker, ready, instead of prepared again by each. So is what
the first encryption in a process loads on first use (~3 ms of CPU each).
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

from codeservice.documents.builder import build_document
from codeservice.documents.content import DocumentContent
from codeservice.documents.encryption import load_first_use
from codeservice.domain.codes import CODE_LENGTH


def warm_up() -> None:
    some_day = datetime(2000, 1, 1, tzinfo=UTC)
    docx = build_document(
        DocumentContent(
            provider_name="Template",
            provider_ref="TEMPLATE",
            prime_name=None,
            cycle="2000-01",
            active_from=some_day,
            active_until=some_day + timedelta(days=28),
            issued_at=some_day,
            access_code="A" * CODE_LENGTH,  # not a code: only its length shapes the sections
            document_ref="TEMPLATE",
        )
    )
    load_first_use(docx)


# Only a head start: if it fails, each worker prepares its own template as it would have,
# and the forkserver (which an error here would stop) goes on.
with contextlib.suppress(Exception):
    warm_up()

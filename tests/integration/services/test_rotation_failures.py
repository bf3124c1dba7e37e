"""One bad row never stops the month: a provider whose document cannot be made is
reported (summary, status, dashboard, BMT mailbox) while every other provider is
issued, and the next run issues it once the register is corrected."""

from __future__ import annotations

import io
import re
import zipfile
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from codeservice.bootstrap import Container
from codeservice.documents import decrypt_document
from codeservice.documents.errors import UnusableText
from codeservice.errors import InputError
from codeservice.services.distribution.codes import reveal_unlock_code
from codeservice.services.distribution.summary import count
from codeservice.storage.models import AccessCode, AuditRecord, IssueFailure, Provider
from mailer import outbox
from mailer.schema import outbox as outbox_table
from tests.support.clock import Clock
from tests.support.dashboard import APRIL, ISSUE_DAY, import_example_register, issue
from tests.support.mail_jobs import queue_summary
from tests.support.reading import board_of, status_of
from tests.support.reissue import reissue_provider

BAD = "PRV003"
BELL_NAME = "Pennine\x07 Routes to Work CIC"


@pytest.fixture
def month(container: Container) -> Iterator[Container]:
    built = Container(container.settings, clock=Clock(ISSUE_DAY))
    import_example_register(built)
    # A name that reached the database without the import's checks (an older
    # release, or a hand edit): python-docx refuses it.
    _rename(built, BAD, BELL_NAME)
    yield built
    built.close()


def _rename(container: Container, ref: str, name: str) -> None:
    with container.uow() as uow:
        provider = uow.session.scalar(select(Provider).where(Provider.ref == ref))
        assert provider is not None
        provider.name = name
        uow.commit()


def _codes(container: Container) -> Counter[str]:
    with container.uow() as uow:
        rows = uow.session.scalars(select(AccessCode).where(AccessCode.cycle == str(APRIL)))
        return Counter(code.provider.ref for code in rows)


def _bmt_failure_emails(container: Container) -> list[tuple[str, str]]:
    """(subject, plain text) of each email to the BMT about a provider not issued."""
    with container.uow() as uow:
        query = select(outbox_table.c.id).where(outbox_table.c.category == "bmt-issue-failure")
        ids = list(uow.session.scalars(query))
        found = []
        for entry in outbox.by_ids(uow.session, ids):
            message = outbox.open_message(entry, container.keyring)
            body = message.get_body(preferencelist=("plain",))
            assert body is not None
            found.append((str(message["Subject"]), body.get_content()))
        return found


def test_one_failing_document_leaves_the_others_issued_and_is_reported(
    month: Container,
) -> None:
    report = issue(month)

    assert report.issued == 7
    assert [failed.provider_ref for failed in report.failed] == [BAD]
    reason = report.failed[0].reason
    assert "name" in reason and "U+0007" in reason
    assert "Traceback" not in reason and "XML compatible" not in reason
    codes = _codes(month)
    assert BAD not in codes and len(codes) == 7 and set(codes.values()) == {1}

    status = {p.ref: p for p in status_of(month, APRIL).providers}
    assert status[BAD].code_state == "not-issued" and status[BAD].issue_error == reason
    assert status_of(month, APRIL).to_json()["providers"][2]["issue_error"] == reason

    board = board_of(month, APRIL)
    assert board.counts.issue_failed == 1 and board.counts.not_issued == 1
    assert [p.issue_error for p in board.providers if p.ref == BAD] == [reason]

    summary = count(status_of(month, APRIL))
    assert [(f.provider_ref, f.reason) for f in summary.issue_failures] == [(BAD, reason)]
    queue_summary(month, APRIL, stage="rotation", actor="test", source="test", now=month.now())

    (subject, text), *others = _bmt_failure_emails(month)
    assert others == []
    assert BAD in subject and BAD in text and "U+0007" in text
    assert "\x07" not in subject + text and "Traceback" not in text

    with month.uow() as uow:
        actions = [r.action for r in uow.session.scalars(select(AuditRecord))]
    assert actions.count("code:access:issue_fail") == 1


def test_a_rerun_retries_the_failed_provider_and_issues_it_once_corrected(
    month: Container,
) -> None:
    issue(month)
    again = issue(month)  # still broken: reported again, nothing issued twice
    assert again.issued == 0 and again.already_done == 7
    assert [failed.attempts for failed in again.failed] == [2]
    assert len(_bmt_failure_emails(month)) == 2

    _rename(month, BAD, "Pennine Routes to Work CIC")
    fixed = issue(month)

    assert fixed.issued == 1 and fixed.already_done == 7 and fixed.failed == []
    codes = _codes(month)
    assert len(codes) == 8 and set(codes.values()) == {1}
    with month.uow() as uow:
        assert list(uow.session.scalars(select(IssueFailure))) == []
    assert all(p.issue_error is None for p in status_of(month, APRIL).providers)


def test_the_document_says_when_the_code_was_really_issued(container: Container) -> None:
    early = datetime(2027, 3, 5, 10, 0, tzinfo=UTC)  # forced, weeks before 31 March
    built = Container(container.settings, clock=Clock(early))
    try:
        import_example_register(built)
        from codeservice.services.distribution.rotation import rotate

        rotate(
            built.press, APRIL, now=built.now(), actor="test", source="test", force=True, workers=1
        )
        queue_summary(built, APRIL, stage="rotation", actor="test", source="test", now=built.now())
        with built.uow() as uow:
            issued = {code.issued_at for code in uow.session.scalars(select(AccessCode))}
            query = select(outbox_table.c.id).where(outbox_table.c.category == "bmt-summary")
            (entry,) = outbox.by_ids(uow.session, list(uow.session.scalars(query)))
            summary = outbox.open_message(entry, built.keyring).get_body(("plain",))
            assert summary is not None
            text = " ".join(summary.get_content().split())
            code = uow.session.scalars(select(AccessCode)).first()
            assert code is not None
            query = select(outbox_table.c.id).where(
                outbox_table.c.category == "access-code-document"
            )
            email_1 = outbox.open_message(
                outbox.by_ids(uow.session, list(uow.session.scalars(query)))[0], built.keyring
            )
            plain = decrypt_document(
                next(email_1.iter_attachments()).get_content(),
                reveal_unlock_code(built.keyring, code),
            )
    finally:
        built.close()
    assert issued == {early}  # what the document's "Issued ..." line is made from
    assert "were issued on Friday 5 March 2027 at 10:00" in text
    with zipfile.ZipFile(io.BytesIO(plain)) as package:  # body, headers and footers
        xml = "".join(package.read(n).decode() for n in package.namelist() if "word/" in n)
    words = re.sub(r"<[^>]+>", "", xml)
    assert "Issued Friday 5 March 2027" in words and "Issued Wednesday 31 March" not in words


def test_a_reissue_for_a_name_no_document_can_carry_is_refused_cleanly(
    month: Container,
) -> None:
    """The month went on without PRV003; a reissue of it names the field to correct
    and changes nothing, instead of failing in the document library."""
    issue(month)
    other = "PRV001"
    with month.uow() as uow:
        provider = uow.register.get_provider(other)
        assert provider is not None
        provider.name = "Northfield\x07 Employment"
        uow.commit()
    before = _codes(month)

    with pytest.raises(UnusableText) as refused:
        reissue_provider(month, other, reason="Precaution", actor="cli:sec", source="test")

    message = str(refused.value)
    assert "provider name" in message and "U+0007" in message and other in message
    assert "XML compatible" not in message
    assert isinstance(refused.value, InputError)
    assert _codes(month) == before

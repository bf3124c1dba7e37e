"""A SPoC added after issue day gets the codes in use: same document, own link, email 2."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from datetime import timedelta

import msoffcrypto
import pytest
from docx import Document
from sqlalchemy import select

from codeservice.bootstrap import Container
from codeservice.documents import read_access_code
from codeservice.domain.calendar import Cycle
from codeservice.domain.codes import Alphabet
from codeservice.errors import Conflict, InputError, NotFound
from codeservice.services.distribution.codes import (
    issue_access_code,
    reveal_access_code,
    reveal_unlock_code,
)
from codeservice.services.distribution.new_spocs import (
    NewSpocsReport,
    pending_new_spocs,
    send_to_new_spocs,
)
from codeservice.storage.models import AccessCode, AuditRecord, Provider, Spoc
from tests.integration.web.links import change, outbox_rows
from tests.integration.web.staff import audit_actions
from tests.support.clock import Clock
from tests.support.dashboard import (
    APRIL,
    ISSUE_DAY,
    REGISTER,
    Mailbox,
    acknowledge_as,
    import_example_register,
    issue,
    work_outbox,
)
from tests.support.reading import read
from tests.support.register import import_register
from tests.support.reissue import reissue_provider

NADIA = "nadia.khan@example.org"
OMAR = "omar.farah@example.net"
ACTOR = "user:ann.lee"
MAY = Cycle(2027, 5)


@pytest.fixture
def clock() -> Clock:
    return Clock(ISSUE_DAY)


@pytest.fixture
def month(container: Container, clock: Clock) -> Iterator[Container]:
    """The example register, April issued on its day, every email 1 sent."""
    built = Container(container.settings, clock=clock)
    import_example_register(built)
    issue(built)
    work_outbox(built, Mailbox())
    clock.now += timedelta(days=1)
    yield built
    built.close()


def add_spocs(container: Container, *lines: str) -> None:
    """Import the example register with extra lines, as the BMT would."""
    data = REGISTER.read_bytes() + "".join(f"{line}\n" for line in lines).encode()
    import_register(container, data, "register.csv", actor="test", source="test")


def add_nadia(container: Container) -> None:
    add_spocs(container, f"PRV001,Northfield Employment Services Ltd,,Nadia Khan,{NADIA},,,")


def send(container: Container, **scope: str) -> NewSpocsReport:
    return send_to_new_spocs(
        container.read_uow,
        container.uow,
        container.mailroom,
        actor=ACTOR,
        source="192.0.2.1",
        **scope,
        now=container.now(),
    )


def emails_to(container: Container, email: str, category: str) -> int:
    return sum(1 for _, to, kind in outbox_rows(container) if to == email and kind == category)


def live_code(container: Container, ref: str, cycle: Cycle = APRIL) -> tuple[str, str, str]:
    """The provider's code in use: its document reference, access code and unlock code."""
    with container.uow() as uow:
        provider = uow.register.get_provider(ref)
        assert provider is not None
        code = uow.codes.live_for(provider.id, str(cycle))
        assert code is not None
        return (
            code.document_ref,
            reveal_access_code(container.keyring, code),
            reveal_unlock_code(container.keyring, code),
        )


def decrypt(document: bytes, unlock_code: str) -> bytes:
    office = msoffcrypto.OfficeFile(io.BytesIO(document))
    office.load_key(password=unlock_code, verify_password=True)
    plain = io.BytesIO()
    office.decrypt(plain)
    return plain.getvalue()


def test_a_spoc_added_after_issue_day_is_listed(month: Container) -> None:
    assert read(month, pending_new_spocs, now=month.now()) == []

    add_nadia(month)

    (waiting,) = read(month, pending_new_spocs, now=month.now())
    assert (waiting.provider_ref, waiting.cycle, waiting.spoc_email) == ("PRV001", "2027-04", NADIA)
    assert waiting.spoc_name == "Nadia Khan" and waiting.code_state == "issued"
    assert waiting.document_ref == live_code(month, "PRV001")[0]
    assert read(
        month, pending_new_spocs, cycle="2027-04", provider_ref="PRV001", now=month.now()
    ) == [waiting]
    assert read(month, pending_new_spocs, provider_ref="PRV002", now=month.now()) == []
    assert read(month, pending_new_spocs, cycle="2027-05", now=month.now()) == []


def test_the_new_spoc_gets_the_same_document_and_then_the_same_unlock_code(
    month: Container, clock: Clock
) -> None:
    add_nadia(month)
    before = len(outbox_rows(month))

    report = send(month)

    assert [s.spoc.spoc_email for s in report.sent] == [NADIA]
    assert report.needed_nothing == 15  # every other SPoC of every provider had theirs
    rows = outbox_rows(month)[before:]
    assert [(to, kind) for _, to, kind in rows] == [(NADIA, "access-code-document")]
    mailbox = Mailbox()
    work_outbox(month, mailbox)
    document_ref, access_code, unlock_code = live_code(month, "PRV001")
    plain = decrypt(mailbox.documents[NADIA], unlock_code)
    assert read_access_code(plain) == access_code
    assert Document(io.BytesIO(plain)).core_properties.identifier == document_ref
    assert read(month, pending_new_spocs, now=month.now()) == []

    clock.now += timedelta(hours=2)
    acknowledge_as(month, mailbox, NADIA)
    work_outbox(month, mailbox)

    (unlock_email,) = mailbox.unlock_emails[NADIA]
    assert unlock_code in unlock_email and access_code not in unlock_email
    assert emails_to(month, NADIA, "unlock-code") == 1


def test_sending_again_sends_nothing(month: Container) -> None:
    add_nadia(month)
    send(month)

    again = send(month)

    assert again.sent == [] and again.needed_nothing == 16
    assert emails_to(month, NADIA, "access-code-document") == 1
    assert len(audit_actions(month, "mail:document:new_spoc")) == 1


def test_two_runs_at_the_same_moment_send_once(month: Container) -> None:
    add_nadia(month)
    start = threading.Barrier(2)
    reports: list[NewSpocsReport] = []

    def run() -> None:
        start.wait()
        reports.append(send(month))

    runs = [threading.Thread(target=run) for _ in range(2)]
    for thread in runs:
        thread.start()
    for thread in runs:
        thread.join(timeout=120)

    assert sorted(len(r.sent) for r in reports) == [0, 1]
    assert emails_to(month, NADIA, "access-code-document") == 1
    assert len(audit_actions(month, "mail:document:new_spoc")) == 1


def test_a_run_that_stopped_part_way_is_finished_by_the_next(month: Container) -> None:
    add_spocs(
        month,
        f"PRV001,Northfield Employment Services Ltd,,Nadia Khan,{NADIA},,,",
        f"PRV003,Pennine Routes to Work CIC,,Omar Farah,{OMAR},,,",
    )
    first = send(month, provider_ref="PRV001")  # as if the run had stopped after PRV001

    rest = send(month)

    assert [s.spoc.spoc_email for s in first.sent] == [NADIA]
    assert [s.spoc.spoc_email for s in rest.sent] == [OMAR]
    assert emails_to(month, NADIA, "access-code-document") == 1
    assert emails_to(month, OMAR, "access-code-document") == 1


def test_the_next_cycle_goes_too_when_it_is_issued(month: Container, clock: Clock) -> None:
    clock.now = month.calendar.dates(MAY).issue_at + timedelta(minutes=5)
    issue(month, MAY)
    add_nadia(month)

    waiting = read(month, pending_new_spocs, now=month.now())
    report = send(month)

    assert [(w.provider_ref, w.cycle) for w in waiting] == [
        ("PRV001", "2027-04"),
        ("PRV001", "2027-05"),
    ]
    assert sorted(s.spoc.cycle for s in report.sent) == ["2027-04", "2027-05"]
    assert emails_to(month, NADIA, "access-code-document") == 2
    mailbox = Mailbox()
    work_outbox(month, mailbox)
    # The latest attachment is May's: it opens with May's unlock code.
    _, may_code, may_unlock = live_code(month, "PRV001", MAY)
    assert read_access_code(decrypt(mailbox.documents[NADIA], may_unlock)) == may_code


def test_a_replacement_code_is_the_code_in_use_and_says_so(month: Container) -> None:
    add_nadia(month)
    reissue_provider(month, "PRV001", reason="A test precaution.", actor="test", source="test")
    assert (
        read(month, pending_new_spocs, now=month.now()) == []
    )  # the reissue sent Nadia the replacement

    add_spocs(
        month,
        f"PRV001,Northfield Employment Services Ltd,,Nadia Khan,{NADIA},,,",
        f"PRV001,Northfield Employment Services Ltd,,Omar Farah,{OMAR},,,",
    )
    (waiting,) = read(month, pending_new_spocs, now=month.now())
    document_ref, access_code, unlock_code = live_code(month, "PRV001")
    assert waiting.spoc_email == OMAR and waiting.document_ref == document_ref

    send(month)
    mailbox = Mailbox()
    work_outbox(month, mailbox)
    plain = decrypt(mailbox.documents[OMAR], unlock_code)
    assert read_access_code(plain) == access_code
    text = "\n".join(p.text for p in Document(io.BytesIO(plain)).paragraphs)
    assert "This is a reissued code" in text


def test_ended_codes_inactive_providers_and_spocs_and_subcontractors_are_not_listed(
    month: Container, clock: Clock
) -> None:
    add_spocs(
        month,
        f"PRV001,Northfield Employment Services Ltd,,Nadia Khan,{NADIA},,,",
        "PRV003,Pennine Routes to Work CIC,,Omar Farah,omar@example.net,,,",
        "PRV005,Severn Bridge Training Group,,Paul Stone,paul@example.com,,,",
        "PRV007,Coast & County Employability Ltd,,Rosa Diaz,rosa@example.org,,,",
    )
    assert len(read(month, pending_new_spocs, now=month.now())) == 4
    with month.uow() as uow:
        spocs = {s.email: s.id for s in uow.session.scalars(select(Spoc))}
        providers = {p.ref: p.id for p in uow.session.scalars(select(Provider))}
    change(month, Spoc, spocs[NADIA], active=False)
    change(month, Provider, providers["PRV003"], active=False)
    # PRV005 becomes a subcontractor of PRV002: its code and SPoCs are no longer used.
    change(month, Provider, providers["PRV005"], prime_id=providers["PRV002"])
    # A subcontractor given a code and a SPoC by hand is not listed either.
    with month.uow() as uow:
        sub = uow.register.get_provider("SUB101")
        assert sub is not None
        uow.session.add(
            Spoc(
                provider=sub,
                name="Sam",
                email="sam@example.org",
                created_at=clock.now,
                updated_at=clock.now,
            )
        )
        dates = month.calendar.dates(APRIL)
        issue_access_code(
            uow,
            month.keyring,
            provider=sub,
            cycle="2027-04",
            issue_at=dates.issue_at,
            active_from=dates.active_from,
            active_until=dates.active_until,
            now=clock.now,
            alphabet=Alphabet.from_excluded(),
        )
        uow.commit()

    assert [w.spoc_email for w in read(month, pending_new_spocs, now=month.now())] == [
        "rosa@example.org"
    ]

    clock.now = month.calendar.dates(APRIL).active_until + timedelta(seconds=1)
    assert read(month, pending_new_spocs, now=month.now()) == []
    assert send(month).sent == []


def test_a_revoked_code_is_never_sent(month: Container) -> None:
    add_nadia(month)
    with month.uow() as uow:
        code = uow.session.scalars(
            select(AccessCode).join(Provider).where(Provider.ref == "PRV001")
        ).one()
        code.state = "revoked"
        uow.commit()

    assert read(month, pending_new_spocs, now=month.now()) == []
    assert send(month).sent == []
    assert emails_to(month, NADIA, "access-code-document") == 0


def test_the_audit_records_who_and_what_but_no_code(month: Container) -> None:
    add_nadia(month)
    report = send(month)
    _, access_code, unlock_code = live_code(month, "PRV001")

    ((action, actor, details),) = audit_actions(month, "mail:document:new_spoc")
    (sent,) = report.sent
    assert (action, actor) == ("mail:document:new_spoc", ACTOR)
    assert details == {
        "provider": "PRV001",
        "cycle": "2027-04",
        "document_ref": sent.spoc.document_ref,
        "delivery_id": sent.delivery_id,
        "spoc_id": sent.spoc.spoc_id,
        "message_id": sent.message_id,
    }
    with month.uow() as uow:
        text = " ".join(r.details for r in uow.session.scalars(select(AuditRecord)))
    assert access_code not in text and unlock_code not in text


def test_bad_filters_are_refused_with_a_message(month: Container) -> None:
    with pytest.raises(NotFound, match="'NOPE9'"):
        read(month, pending_new_spocs, provider_ref="NOPE9", now=month.now())
    with pytest.raises(InputError, match="'2027-13' is not a cycle"):
        send(month, cycle="2027-13")
    with pytest.raises(Conflict, match="subcontractor of PRV001"):
        read(month, pending_new_spocs, provider_ref="SUB101", now=month.now())

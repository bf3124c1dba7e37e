"""Reissue: revoke every code not ended and replace it at once, in one transaction."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from codeservice.bootstrap import Container
from codeservice.domain.audit import AuditTag
from codeservice.domain.calendar import Cycle
from codeservice.domain.wording import INCIDENT_REASON, PRECAUTION_REASON
from codeservice.errors import Conflict, InputError, NotFound
from codeservice.services.distribution.codes import reveal_access_code, reveal_unlock_code
from codeservice.services.distribution.rotation import rotate
from codeservice.services.helpline import code_in_force
from codeservice.services.incidents.reissue import request_reissue
from codeservice.services.incidents.reissue_views import reissues_between
from codeservice.storage.models import AccessCode, AuditRecord, Delivery, LinkToken, Reissue
from mailer import outbox
from mailer.entry import OutboxEntry
from tests.support.clock import Clock
from tests.support.reading import status_of
from tests.support.register import TWO_PRIMES, import_register
from tests.support.reissue import complete, reissue_provider

REGISTER = TWO_PRIMES + "SUB101,Riverside Community Trust,PRV001,,,,,\n"
MARCH, APRIL = Cycle(2027, 3), Cycle(2027, 4)
# Thursday 1 April 2027, 10:30 BST: after April's issue Wednesday, before its Monday.
BETWEEN = datetime(2027, 4, 1, 9, 30, tzinfo=UTC)
# Wednesday 14 April 2027, 10:00 BST: April's code is in force, May's not yet issued.
DURING_APRIL = datetime(2027, 4, 14, 9, 0, tzinfo=UTC)
ACTOR = "cli:security.officer"


@dataclass
class World:
    container: Container
    clock: Clock

    def issue(self, cycle: Cycle) -> None:
        self.clock.now = self.container.calendar.dates(cycle).issue_at + timedelta(seconds=5)
        rotate(
            self.container.press,
            cycle,
            now=self.container.now(),
            actor="scheduler",
            source="test",
            workers=1,
        )

    def codes(self, ref: str = "PRV001") -> list[AccessCode]:
        with self.container.uow() as uow:
            provider = uow.register.get_provider(ref)
            assert provider is not None
            query = select(AccessCode).where(AccessCode.provider_id == provider.id)
            codes = list(uow.session.scalars(query.order_by(AccessCode.id)))
            uow.session.expunge_all()  # kept as loaded: the closing rollback expires rows
            return codes

    def emails(self, category: str = "access-code-document") -> list[OutboxEntry]:
        with self.container.uow() as uow:
            return [e for e in outbox.entries(uow.session) if e.category == category]

    def message(self, entry: OutboxEntry) -> EmailMessage:
        return outbox.open_message(entry, self.container.keyring)

    def audit(self, action: str) -> list[dict[str, object]]:
        with self.container.uow() as uow:
            rows = uow.session.scalars(
                select(AuditRecord).where(AuditRecord.action == action).order_by(AuditRecord.seq)
            )
            return [json.loads(row.details) for row in rows]

    def in_force(self, at: datetime, ref: str = "PRV001") -> AccessCode | None:
        with self.container.uow() as uow:
            provider = uow.register.get_provider(ref)
            assert provider is not None
            code = code_in_force(uow, provider.id, at)
            uow.session.expunge_all()
            return code

    def plain(self, code: AccessCode) -> str:
        with self.container.uow() as uow:
            row = uow.session.get(AccessCode, code.id)
            assert row is not None
            return reveal_access_code(self.container.keyring, row)


def make_world(container: Container, now: datetime) -> tuple[World, Container]:
    clock = Clock(now)
    built = Container(container.settings, clock=clock)
    import_register(built, REGISTER.encode(), "register.csv", actor="tester")
    return World(built, clock), built


@pytest.fixture
def world(container: Container) -> Iterator[World]:
    made, built = make_world(container, datetime(2027, 2, 1, 9, 0, tzinfo=UTC))
    yield made
    built.close()


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def test_a_reissue_replaces_the_code_in_force_at_once(world: World) -> None:
    world.issue(APRIL)
    old = world.codes()[0]
    old_other = world.codes("PRV002")[0]
    before = len(world.emails())
    world.clock.now = DURING_APRIL

    report = reissue_provider(
        world.container, "PRV001", reason="Team leader dismissed", actor=ACTOR, source="cli"
    )

    assert not report.already_done
    assert [(r.cycle, r.revoked_document_ref, r.new_state) for r in report.replaced] == [
        ("2027-04", old.document_ref, "active")
    ]
    revoked, new = world.codes()
    assert (revoked.id, revoked.state, revoked.revoked_at) == (old.id, "revoked", DURING_APRIL)
    assert (new.state, new.replaces_id, str(new.cycle)) == ("active", old.id, "2027-04")
    assert (new.active_from, new.active_until) == (DURING_APRIL, old.active_until)
    assert new.issued_at == DURING_APRIL
    assert world.plain(new) != world.plain(old)
    [other] = world.codes("PRV002")  # another provider is untouched
    assert (other.id, other.state, other.revoked_at) == (old_other.id, old_other.state, None)

    # The helpline accepts only the new code from this instant.
    in_force = world.in_force(DURING_APRIL)
    assert in_force is not None and in_force.id == new.id

    # Email 1 again, to each SPoC, marked as a replacement, in general terms.
    emails = world.emails()[before:]
    assert sorted(r for e in emails for r in e.recipients) == [
        "ann.lee@example.org",
        "bob.roe@example.org",
    ]
    for entry in emails:
        message = world.message(entry)
        assert message["Subject"].startswith("Replacement Provider Direct access code")
        text = text_of(message)
        assert PRECAUTION_REASON in text
        assert "Team leader dismissed" not in text
        with world.container.uow() as uow:
            row = uow.session.get(AccessCode, new.id)
            assert row is not None
            assert reveal_access_code(world.container.keyring, row) not in message.as_string()
            assert reveal_unlock_code(world.container.keyring, row) not in message.as_string()
    assert report.emails_queued == 2

    # Old acknowledgement links are dead, marked as replaced by a reissue.
    with world.container.uow() as uow:
        old_links = list(
            uow.session.scalars(
                select(LinkToken).join(Delivery).where(Delivery.access_code_id == old.id)
            )
        )
        new_links = list(
            uow.session.scalars(
                select(LinkToken).join(Delivery).where(Delivery.access_code_id == new.id)
            )
        )
        uow.session.expunge_all()
    assert {(link.replaced_at, link.replaced_reason) for link in old_links} == {
        (DURING_APRIL, "reissued")
    }
    assert len(new_links) == 2 and all(link.replaced_at is None for link in new_links)

    revoke = world.audit(AuditTag.CODE_ACCESS_REVOKE)
    assert revoke == [
        {
            "provider": "PRV001",
            "cycle": "2027-04",
            "reissue": report.reissue_id,
            "document_ref": old.document_ref,
        }
    ]
    [summary] = world.audit(AuditTag.CODE_ACCESS_REISSUE)
    assert summary["codes_replaced"] == 1 and summary["reason"] == "Team leader dismissed"


def test_status_shows_the_revoked_code_and_its_replacement(world: World) -> None:
    world.issue(APRIL)
    world.clock.now = DURING_APRIL
    reissue_provider(world.container, "PRV001", reason="precaution", actor=ACTOR, source="cli")

    status = status_of(world.container, APRIL)
    rows = [(p.ref, p.code_state, p.replaces, p.replaced_by) for p in status.providers]
    revoked, new = world.codes()
    assert rows == [
        ("PRV001", "revoked", None, new.document_ref),
        ("PRV001", "active", revoked.document_ref, None),
        ("PRV002", "issued", None, None),  # no activation job ran in this test
    ]
    assert status.reissues == 1
    assert status.to_json()["reissues"] == 1
    with world.container.read_uow() as uow:
        listed = reissues_between(uow, DURING_APRIL, DURING_APRIL + timedelta(days=1))
    assert [(r.provider_ref, r.codes_replaced) for r in listed] == [("PRV001", 1)]


def test_between_wednesday_and_monday_both_codes_are_replaced(world: World) -> None:
    world.issue(MARCH)
    world.issue(APRIL)
    march, april = world.codes()
    world.clock.now = BETWEEN

    report = reissue_provider(world.container, "PRV001", reason="fraud", actor=ACTOR, source="cli")

    assert [(r.cycle, r.new_state) for r in report.replaced] == [
        ("2027-03", "active"),
        ("2027-04", "issued"),
    ]
    codes = {c.id: c for c in world.codes()}
    assert codes[march.id].state == codes[april.id].state == "revoked"
    new_march = next(c for c in codes.values() if c.replaces_id == march.id)
    new_april = next(c for c in codes.values() if c.replaces_id == april.id)
    assert (new_march.active_from, new_march.active_until) == (BETWEEN, march.active_until)
    assert new_april.state == "issued"
    assert (new_april.active_from, new_april.active_until) == (
        april.active_from,
        april.active_until,
    )
    assert report.emails_queued == 4  # two codes, two SPoCs

    monday = world.container.calendar.dates(APRIL).active_from
    assert monday == datetime(2027, 4, 4, 23, 0, tzinfo=UTC)  # 00:00 BST
    assert getattr(world.in_force(BETWEEN), "id", None) == new_march.id
    assert getattr(world.in_force(monday - timedelta(seconds=1)), "id", None) == new_march.id
    assert getattr(world.in_force(monday), "id", None) == new_april.id


def test_a_pending_reissue_is_completed_by_the_next_run_not_doubled(world: World) -> None:
    world.issue(APRIL)
    world.clock.now = DURING_APRIL
    # A run killed after asking for the reissue, before completing it.
    with world.container.uow() as uow:
        provider = uow.register.get_provider("PRV001")
        assert provider is not None
        pending = request_reissue(
            uow, provider=provider, reason="first try", requested_by=ACTOR, now=DURING_APRIL
        )
        pending_id = pending.id
        uow.commit()
    assert len(world.codes()) == 1

    report = reissue_provider(world.container, "PRV001", reason="again", actor=ACTOR, source="cli")
    assert report.reissue_id == pending_id
    assert len(report.replaced) == 1

    again = complete(world.container, pending_id, actor=ACTOR, source="cli")
    assert again.already_done and [r.new_document_ref for r in again.replaced] == [
        report.replaced[0].new_document_ref
    ]
    assert len(world.codes()) == 2
    with world.container.uow() as uow:
        assert len(list(uow.session.scalars(select(Reissue)))) == 1


def test_a_reissue_asked_for_before_another_completed_is_covered_by_it(world: World) -> None:
    world.issue(APRIL)
    world.clock.now = DURING_APRIL
    with world.container.uow() as uow:
        provider = uow.register.get_provider("PRV001")
        assert provider is not None
        first = request_reissue(
            uow, provider=provider, reason="first", requested_by=ACTOR, now=DURING_APRIL
        ).id
        uow.commit()
    world.clock.now = DURING_APRIL + timedelta(minutes=1)
    with world.container.uow() as uow:
        provider = uow.register.get_provider("PRV001")
        assert provider is not None
        # An incident-less second request would take up the first; a separate row
        # stands for a report's own reissue decided meanwhile.
        second = Reissue(
            provider_id=provider.id,
            reason="second",
            requested_by=ACTOR,
            requested_at=world.clock.now,
            codes_replaced=0,
        )
        uow.incidents.add_reissue(second)
        second_id = second.id
        uow.commit()
    done = complete(world.container, second_id, actor=ACTOR, source="cli")
    assert len(done.replaced) == 1

    covered = complete(world.container, first, actor=ACTOR, source="cli")
    assert covered.covered_by == second_id and covered.replaced == []
    assert len(world.codes()) == 2  # the replacement was not replaced again


def test_a_second_reissue_later_replaces_the_replacement(world: World) -> None:
    world.issue(APRIL)
    world.clock.now = DURING_APRIL
    reissue_provider(world.container, "PRV001", reason="one", actor=ACTOR, source="cli")
    world.clock.now = DURING_APRIL + timedelta(days=2)
    reissue_provider(world.container, "PRV001", reason="two", actor=ACTOR, source="cli")
    first, second, third = world.codes()
    assert [c.state for c in (first, second, third)] == ["revoked", "revoked", "active"]
    assert (second.replaces_id, third.replaces_id) == (first.id, second.id)


@pytest.mark.parametrize(
    ("ref", "error", "message"),
    [
        ("PRV999", NotFound, "no provider with ref 'PRV999'"),
        ("SUB101", Conflict, "SUB101 is a subcontractor of PRV001"),
        ("PRV002", Conflict, "has no access code in use or waiting to be used"),
    ],
)
def test_what_cannot_be_reissued_is_refused(
    world: World, ref: str, error: type[Exception], message: str
) -> None:
    world.clock.now = DURING_APRIL  # nothing issued: PRV002 has no code
    with pytest.raises(error, match=message):
        reissue_provider(world.container, ref, reason="why", actor=ACTOR, source="cli")


def test_the_reason_is_required_and_free_of_personal_details(world: World) -> None:
    world.issue(APRIL)
    with pytest.raises(InputError, match="remove the National Insurance number"):
        reissue_provider(world.container, "PRV001", reason="QQ123456C", actor=ACTOR, source="cli")
    with pytest.raises(InputError, match="give the reason"):
        reissue_provider(world.container, "PRV001", reason=" ", actor=ACTOR, source="cli")
    assert len(world.codes()) == 1


def test_spocs_are_told_of_an_incident_in_general_terms_only() -> None:
    assert "incident" in INCIDENT_REASON and len(INCIDENT_REASON) <= 200
    assert len(PRECAUTION_REASON) <= 200

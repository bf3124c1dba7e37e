"""The monthly access code list for the helpline: every code that stands, encrypted, audited."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from codeservice.bootstrap import Container
from codeservice.documents import DocumentPasswordError, decrypt_document
from codeservice.documents.code_list import read_code_list
from codeservice.domain.calendar import Cycle
from codeservice.errors import Conflict
from codeservice.services.distribution.codes import reveal_access_code
from codeservice.services.helpline.export import export_code_list, exportable_cycles
from codeservice.storage.models import AccessCode, AuditRecord
from tests.conftest import Cli
from tests.integration.web.staff import audit_actions
from tests.support.clock import Clock
from tests.support.dashboard import APRIL, ISSUE_DAY, import_example_register, issue
from tests.support.libreoffice import ARTIFACTS, open_with_libreoffice, pdf_to_png
from tests.support.reissue import reissue_provider

PRIMES = [f"PRV00{n}" for n in range(1, 9)]


@pytest.fixture
def clock() -> Clock:
    return Clock(ISSUE_DAY + timedelta(days=7))


@pytest.fixture
def month(container: Container, clock: Clock) -> Iterator[Container]:
    built = Container(container.settings, clock=clock)
    import_example_register(built)
    clock.now, later = ISSUE_DAY, clock.now
    issue(built)
    clock.now = later
    yield built
    built.close()


def _standing_codes(month: Container) -> dict[str, str]:
    with month.uow() as uow:
        codes = uow.session.query(AccessCode).filter(AccessCode.state != "revoked").all()
        return {code.provider.ref: reveal_access_code(month.keyring, code) for code in codes}


def _export(month: Container, cycle: Cycle = APRIL):  # type: ignore[no-untyped-def]
    return export_code_list(
        month.uow,
        month.keyring,
        month.calendar,
        cycle,
        actor="user:ann.lee",
        exported_by="Ann Lee",
        source="192.0.2.1",
        now=month.now(),
    )


def test_the_list_has_every_code_and_opens_with_its_own_unlock_code(month: Container) -> None:
    result = _export(month)

    rows = read_code_list(decrypt_document(result.document, result.unlock_code))

    assert result.codes == 8 and result.filename == "provider-direct-code-list-2027-04.docx"
    assert [ref for ref, _ in rows] == PRIMES
    assert dict(rows) == _standing_codes(month)
    with pytest.raises(DocumentPasswordError):
        decrypt_document(result.document, "wrong-unlock-code")


def test_each_export_has_a_fresh_unlock_code(month: Container) -> None:
    assert _export(month).unlock_code != _export(month).unlock_code


def test_an_export_is_audited_as_a_reveal_without_any_code(month: Container) -> None:
    result = _export(month)

    ((action, actor, details),) = audit_actions(month, "code:list:export")
    assert (action, actor) == ("code:list:export", "user:ann.lee")
    assert details["reveal"] == "access-codes"
    assert (details["cycle"], details["codes"], details["providers"]) == ("2027-04", 8, PRIMES)
    with month.uow() as uow:
        text = " ".join(r.details for r in uow.session.query(AuditRecord))
    assert result.unlock_code not in text
    assert not any(code in text for code in _standing_codes(month).values())


def test_a_reissued_provider_is_listed_with_its_new_code_only(month: Container) -> None:
    reissue_provider(month, "PRV002", reason="A test precaution.", actor="test", source="test")
    result = _export(month)

    rows = dict(read_code_list(decrypt_document(result.document, result.unlock_code)))

    assert len(rows) == 8
    assert rows["PRV002"] == _standing_codes(month)["PRV002"]


def test_a_cycle_without_codes_cannot_be_exported(month: Container) -> None:
    with pytest.raises(Conflict, match="not been issued yet"):
        _export(month, Cycle(2027, 5))

    with month.read_uow() as uow:
        assert exportable_cycles(uow, now=month.now()) == [(APRIL, 8)]
    assert audit_actions(month, "code:list:export") == []


def test_an_ended_cycle_cannot_be_exported(month: Container, clock: Clock) -> None:
    clock.now = ISSUE_DAY + timedelta(days=40)  # 2027-05 in force

    with pytest.raises(Conflict, match="ended"):
        _export(month)


def test_the_command_writes_a_private_file_and_shows_the_unlock_code_once(
    month: Container, cli: Cli, tmp_path: Path
) -> None:
    out = tmp_path / "list.docx"

    result = cli("codes", "export", "2027-04", "--out", str(out))

    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    (line,) = [line for line in result.output.splitlines() if "Unlock code" in line]
    unlock_code = line.rsplit(" ", 1)[1]
    assert result.output.count(unlock_code) == 1
    rows = read_code_list(decrypt_document(out.read_bytes(), unlock_code))
    assert dict(rows) == _standing_codes(month)
    ((_, actor, _),) = audit_actions(month, "code:list:export")
    assert actor.startswith("cli:")


def test_the_command_never_overwrites_a_file(month: Container, cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "list.docx"
    out.write_bytes(b"keep me")

    result = cli("codes", "export", "2027-04", "--out", str(out))

    assert result.exit_code != 0
    assert "already exists" in result.output
    assert out.read_bytes() == b"keep me"
    assert audit_actions(month, "code:list:export") == []


def test_a_list_whose_unlock_code_cannot_be_shown_is_not_left_behind(
    month: Container, cli: Cli, tmp_path: Path
) -> None:
    out = tmp_path / "list.docx"
    with open("/dev/full", "w") as full:  # every write fails: No space left on device
        export = cli.popen("codes", "export", "2027-04", "--out", str(out), stdout=full)
        assert export.wait(timeout=300) == 74

    assert not out.exists()  # no one could open it; the rerun is not refused
    assert cli("codes", "export", "2027-04", "--out", str(out)).exit_code == 0


@pytest.mark.slow
def test_libreoffice_opens_the_list_with_the_unlock_code_only(
    month: Container, tmp_path: Path
) -> None:
    result = _export(month)
    path = tmp_path / result.filename
    path.write_bytes(result.document)
    ARTIFACTS.mkdir(exist_ok=True)
    pdf = ARTIFACTS / "code-list.pdf"
    pdf.unlink(missing_ok=True)

    opened = open_with_libreoffice(path, result.unlock_code, pdf_out=pdf)
    refused = open_with_libreoffice(path, "not-the-unlock-code")

    assert opened.opened, opened.error
    assert opened.pages == 1
    assert "Northfield Employment Services Ltd" in opened.text
    assert " ".join(_standing_codes(month)["PRV001"]) in opened.text
    assert not refused.opened
    pdf_to_png(pdf, ARTIFACTS / "code-list.png")
